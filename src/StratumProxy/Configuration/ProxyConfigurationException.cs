namespace StratumProxy.Configuration;

/// <summary>The configuration is invalid; <see cref="Errors"/> names each offending key and its problem.</summary>
public sealed class ProxyConfigurationException : Exception
{
    public ProxyConfigurationException(IReadOnlyList<string> errors)
        : base("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
    {
        Errors = errors;
    }

    public ProxyConfigurationException()
        : this(Array.Empty<string>())
    {
    }

    public ProxyConfigurationException(string message)
        : this([message])
    {
    }

    public ProxyConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];
}
