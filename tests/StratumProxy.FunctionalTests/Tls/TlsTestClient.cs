using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>A real <see cref="SslStream"/> client on loopback that records what the server presented.</summary>
internal sealed class TlsTestClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;

    private TlsTestClient(TcpClient tcp, SslStream ssl, X509Certificate2 serverCertificate, bool chainValid)
    {
        _tcp = tcp;
        Ssl = ssl;
        ServerCertificate = serverCertificate;
        ChainValid = chainValid;
    }

    public SslStream Ssl { get; }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>True when the chain built to the given trusted roots and the name matched (only when roots were given).</summary>
    public bool ChainValid { get; }

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Connects and handshakes. With <paramref name="trustedRoots"/> the server must present a chain to them for
    /// <paramref name="serverName"/> or the handshake fails; without, any certificate is accepted and recorded.
    /// </summary>
    public static async Task<TlsTestClient> ConnectAsync(int port, string? serverName, SslProtocols protocols = SslProtocols.None, X509Certificate2Collection? trustedRoots = null, List<SslApplicationProtocol>? alpn = null)
    {
        var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(Timeout);
        await tcp.ConnectAsync("127.0.0.1", port, timeout.Token);
        X509Certificate2? presented = null;
        var chainValid = false;
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? string.Empty,
            EnabledSslProtocols = protocols,
            ApplicationProtocols = alpn,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // With roots: the platform builds the chain from what the server sent to those roots only, and checks the name.
            CertificateChainPolicy = trustedRoots is null ? null : TrustOnly(trustedRoots),
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                chainValid = errors == SslPolicyErrors.None;
                return trustedRoots is null || chainValid;
            },
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, timeout.Token);
        }
        catch
        {
            await ssl.DisposeAsync();
            tcp.Dispose();
            throw;
        }

        return new TlsTestClient(tcp, ssl, presented!, chainValid);
    }

    private static X509ChainPolicy TrustOnly(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }

    /// <summary>Sends a line and reads the echo back, bounded in time.</summary>
    public async Task<string> EchoAsync(string line)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        await Ssl.WriteAsync(bytes, timeout.Token);
        await Ssl.FlushAsync(timeout.Token);
        var buffer = new byte[bytes.Length];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await Ssl.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0)
            {
                throw new IOException("The server closed the TLS session.");
            }

            read += n;
        }

        return Encoding.UTF8.GetString(buffer).TrimEnd('\n');
    }

    public async ValueTask DisposeAsync()
    {
        await Ssl.DisposeAsync();
        _tcp.Dispose();
    }
}
