namespace StratumProxy.Acme;

/// <summary>The ACME server answered with a problem document (<c>application/problem+json</c>).</summary>
public sealed class AcmeProblemException : Exception
{
    public AcmeProblemException(AcmeProblem problem, int httpStatus, string requestUrl)
        : base($"ACME server refused {requestUrl} ({httpStatus}): {problem.Type}: {problem.Detail}")
    {
        Problem = problem;
        HttpStatus = httpStatus;
        RequestUrl = requestUrl;
    }

    public AcmeProblemException(string message)
        : base(message)
    {
        Problem = new AcmeProblem();
        RequestUrl = string.Empty;
    }

    public AcmeProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = new AcmeProblem();
        RequestUrl = string.Empty;
    }

    public AcmeProblemException()
        : this("ACME request failed.")
    {
    }

    public AcmeProblem Problem { get; }

    public int HttpStatus { get; }

    public string RequestUrl { get; }

    /// <summary>The problem type without the <c>urn:ietf:params:acme:error:</c> prefix, e.g. <c>badNonce</c>.</summary>
    public string ShortType => Problem.Type is { } type && type.StartsWith(AcmeProblemTypes.Prefix, StringComparison.Ordinal)
        ? type[AcmeProblemTypes.Prefix.Length..]
        : Problem.Type ?? "unknown";
}

internal static class AcmeProblemTypes
{
    public const string Prefix = "urn:ietf:params:acme:error:";
    public const string BadNonce = Prefix + "badNonce";
}
