using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Stratum.Transport.Tls;

namespace StratumProxy.Tls;

/// <summary>
/// A server certificate ready for handshakes: the leaf with its key, its intermediates and the
/// <see cref="SslStreamCertificateContext"/> built once from them (never per connection).
/// </summary>
public sealed class ServerCertificate
{
    private ServerCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates, string source)
    {
        Leaf = leaf;
        Intermediates = intermediates;
        Source = source;
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    private readonly Lock _openSslGate = new();
    private (SslProtocols Protocols, OpenSslServerContext? Context)[] _openSslContexts = [];

    public X509Certificate2 Leaf { get; }

    public X509Certificate2Collection Intermediates { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Where it came from: <c>acme</c>, <c>file</c>, <c>self-signed</c>.</summary>
    public string Source { get; }

    public DateTimeOffset NotBefore => new(Leaf.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    public string Thumbprint => Leaf.Thumbprint;

    public bool IsValidAt(DateTimeOffset now) => now >= NotBefore && now < NotAfter;

    /// <summary>
    /// The OpenSSL server context that handshakes presenting this certificate with <paramref name="protocols"/> are
    /// made from, built on first use (once per protocol set); null when the key cannot be exported to OpenSSL or
    /// OpenSSL refuses the certificate, and those handshakes go through <c>SslStream</c>.
    /// </summary>
    internal OpenSslServerContext? OpenSslContext(SslProtocols protocols)
    {
        if (TryFindOpenSslContext(protocols, out var context))
        {
            return context;
        }

        lock (_openSslGate)
        {
            if (TryFindOpenSslContext(protocols, out context))
            {
                return context;
            }

            context = TryCreateOpenSslContext(protocols);
            Volatile.Write(ref _openSslContexts, [.. _openSslContexts, (protocols, context)]);
            return context;
        }
    }

    /// <summary>True when a context for <paramref name="protocols"/> was tried already (it may be null: it could not be built).</summary>
    private bool TryFindOpenSslContext(SslProtocols protocols, out OpenSslServerContext? context)
    {
        foreach (var (built, existing) in Volatile.Read(ref _openSslContexts))
        {
            if (built == protocols)
            {
                context = existing;
                return true;
            }
        }

        context = null;
        return false;
    }

    private OpenSslServerContext? TryCreateOpenSslContext(SslProtocols protocols)
    {
        byte[]? key = null;
        try
        {
            using (var ecdsa = Leaf.GetECDsaPrivateKey())
            using (var rsa = ecdsa is null ? Leaf.GetRSAPrivateKey() : null)
            {
                key = ecdsa?.ExportPkcs8PrivateKey() ?? rsa?.ExportPkcs8PrivateKey();
            }

            return key is null
                ? null
                : OpenSslServerContext.Create(Leaf.RawData, Intermediates.Select(c => c.RawData), key, protocols);
        }
        catch (Exception ex) when (ex is CryptographicException or DllNotFoundException or EntryPointNotFoundException or PlatformNotSupportedException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>A PEM chain (leaf first) and a PEM private key (PKCS#8, SEC1 or PKCS#1).</summary>
    public static ServerCertificate FromPem(string chainPem, string keyPem, string source)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(chainPem);
        if (all.Count == 0)
        {
            throw new InvalidDataException("The PEM chain holds no certificate.");
        }

        var leaf = X509Certificate2.CreateFromPem(chainPem, keyPem);
        return new ServerCertificate(leaf, Rest(all), source);
    }

    /// <summary>A PKCS#12 file whose first certificate with a private key is the leaf.</summary>
    public static ServerCertificate FromPkcs12(byte[] pfx, string? password, string source)
    {
        var all = X509CertificateLoader.LoadPkcs12Collection(pfx, password, X509KeyStorageFlags.Exportable);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey) ?? throw new InvalidDataException("The PKCS#12 file holds no certificate with a private key.");
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, leaf) && certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) is false)
            {
                intermediates.Add(certificate);
            }
        }

        return new ServerCertificate(leaf, intermediates, source);
    }

    public static ServerCertificate FromCertificate(X509Certificate2 leafWithKey, string source) =>
        new(leafWithKey, [], source);

    private static X509Certificate2Collection Rest(X509Certificate2Collection all)
    {
        var rest = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            rest.Add(all[i]);
        }

        return rest;
    }
}
