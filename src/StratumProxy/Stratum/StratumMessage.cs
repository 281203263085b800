namespace StratumProxy.Stratum;

/// <summary>The Stratum methods the proxy acts on; everything else is <see cref="Other"/> and passes through untouched.</summary>
public enum StratumMethod : byte
{
    None,
    Other,
    Subscribe,
    Authorize,
    Configure,
    Submit,
    ExtranonceSubscribe,
    SuggestDifficulty,
    SetDifficulty,
    SetExtranonce,
    Notify,
    Reconnect,
}

/// <summary>What one JSON-RPC line says, as far as the proxy needs to know; no strings unless asked for.</summary>
public struct StratumMessage
{
    /// <summary>The request or notification method; <see cref="StratumMethod.None"/> for a response.</summary>
    public StratumMethod Method;

    /// <summary>True when the line has a non-null <c>id</c>.</summary>
    public bool HasId;

    /// <summary>The id reduced to a number: numeric ids as themselves, string ids hashed.</summary>
    public long IdKey;

    /// <summary>For responses: <c>result</c> was the literal <c>true</c>.</summary>
    public bool ResultIsTrue;

    /// <summary>For responses: <c>error</c> was present and not null.</summary>
    public bool HasError;

    /// <summary>For responses with an error: its code (Stratum puts it first in <c>[code, message, data]</c>).</summary>
    public int ErrorCode;

    public readonly bool IsResponse => Method == StratumMethod.None;
}
