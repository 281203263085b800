using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StratumProxy.Tls;

namespace StratumProxy.FunctionalTests.Tls;

/// <summary>OpenSSL frees an idle connection's record buffers, and the connection still carries data both ways.</summary>
public sealed class OpenSslIdleBuffersTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_runtime_still_keeps_the_openssl_connection_where_it_is_looked_for() =>
        Assert.True(OpenSslIdleBuffers.IsAvailable, "SslStream's private layout changed: idle TLS miners keep their buffers again");

    [Fact]
    public async Task After_the_handshake_the_mode_is_set_and_records_of_every_size_still_go_through()
    {
        using var certificate = SelfSigned("pool.test");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientTcp = new TcpClient();
        await clientTcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port).WaitAsync(Deadline);
        using var serverTcp = await listener.AcceptTcpClientAsync().WaitAsync(Deadline);
        await using var server = new SslStream(serverTcp.GetStream());
        await using var client = new SslStream(clientTcp.GetStream(), false, (_, _, _, _) => true);

        Assert.False(OpenSslIdleBuffers.TryRelease(server), "no OpenSSL connection exists before the handshake");
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(certificate),
            client.AuthenticateAsClientAsync("pool.test")).WaitAsync(Deadline);

        Assert.True(OpenSslIdleBuffers.TryRelease(server));

        // Small lines, then a message of several records (the buffers come back for it and go again).
        foreach (var size in new[] { 150, 600, 70_000, 150 })
        {
            var payload = new byte[size];
            Random.Shared.NextBytes(payload);
            await client.WriteAsync(payload).AsTask().WaitAsync(Deadline);
            Assert.Equal(payload, await ReadExactlyAsync(server, size));
            await server.WriteAsync(payload).AsTask().WaitAsync(Deadline);
            Assert.Equal(payload, await ReadExactlyAsync(client, size));
        }
    }

    private static X509Certificate2 SelfSigned(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256);
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int size)
    {
        var buffer = new byte[size];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Deadline);
        return buffer;
    }
}
