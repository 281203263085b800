namespace StratumProxy.Acme;

internal sealed partial class AcmeCertificateIssuer
{
    [LoggerMessage(EventId = 3110, Level = LogLevel.Information, Message = "ACME order for {Hosts} created at {OrderUrl}")]
    private static partial void LogOrderCreated(ILogger logger, string hosts, string orderUrl);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "Answering {ChallengeType} for {Host}")]
    private static partial void LogChallenge(ILogger logger, string challengeType, string host);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Information, Message = "Certificate issued for {Hosts}, valid until {NotAfter:u} (thumbprint {Thumbprint})")]
    private static partial void LogIssued(ILogger logger, string hosts, DateTimeOffset notAfter, string thumbprint);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Error, Message = "ACME order for {Hosts} refused: {ProblemType}: {ProblemDetail}")]
    private static partial void LogOrderProblem(ILogger logger, string hosts, string? problemType, string? problemDetail, Exception exception);

    [LoggerMessage(EventId = 3114, Level = LogLevel.Error, Message = "ACME order for {Hosts} failed: {Reason}")]
    private static partial void LogOrderFailed(ILogger logger, string hosts, string reason, Exception exception);
}
