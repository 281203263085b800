namespace StratumPool.Daemon;

/// <summary>The daemon answered with a JSON-RPC error object.</summary>
public sealed class DaemonRpcException(string method, int code, string message)
    : Exception($"{method}: daemon error {code}: {message}")
{
    public string Method { get; } = method;

    public int Code { get; } = code;

    public string RpcMessage { get; } = message;
}

/// <summary>No configured daemon could be reached or gave a usable answer.</summary>
public sealed class DaemonUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
