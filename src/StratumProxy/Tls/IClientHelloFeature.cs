using Stratum.Transport.EventLoop;

namespace StratumProxy.Tls;

/// <summary>Published on the connection's features by the TLS listener before the handshake: the sniffed ClientHello.</summary>
public interface IClientHelloFeature
{
    ClientHelloInfo? ClientHello { get; }
}

internal sealed class ClientHelloFeature : IClientHelloFeature
{
    public ClientHelloInfo? ClientHello { get; set; }

    /// <summary>Set once the handshake finished, so the outer middleware can tell failures from sessions.</summary>
    public bool HandshakeCompleted { get; set; }

    /// <summary>The reader the handshake read through, when the connection can take the record layer over afterwards.</summary>
    public TlsRecordBoundedReader? HandshakeReader { get; set; }

    /// <summary>The event-loop socket whose inline completions the handshake put off, to turn them back on after it.</summary>
    public EpollSocket? InlineAfterHandshake { get; set; }

    /// <summary>Set when the handshake was made on OpenSSL here and the connection carries the records itself.</summary>
    public bool RecordsTakenOver { get; set; }

    /// <summary>Set once a failure was counted and logged where it happened.</summary>
    public bool FailureCounted { get; set; }
}
