using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;

namespace StratumProxy.Acme;

/// <summary>The ARI certificate identifier: base64url(AKI keyIdentifier) "." base64url(serial DER bytes) (RFC 9773 §4.1).</summary>
internal static class AcmeRenewalInfoId
{
    public static string? TryCreate(X509Certificate2 certificate)
    {
        var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault();
        if (aki?.KeyIdentifier is not { } keyId)
        {
            return null;
        }

        // SerialNumberBytes is big-endian, exactly the content octets of the DER INTEGER.
        return Base64Url.EncodeToString(keyId.Span) + "." + Base64Url.EncodeToString(certificate.SerialNumberBytes.Span);
    }
}
