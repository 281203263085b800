namespace StratumProxy.Management;

/// <summary>
/// The read-only status page at <c>/</c> of the management endpoint: one embedded HTML file, no external assets,
/// that polls <c>/api/status</c> and <c>/api/workers</c> from the browser.
/// </summary>
public static class StatusPageEndpoint
{
    internal const string ResourceName = "StratumProxy.Management.StatusPage.html";

    // Inline script and style only, data fetched from this origin only, never framed.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<byte[]> Page = new(LoadPage);

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.CacheControl = "no-cache";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(Page.Value, "text/html; charset=utf-8");
        });
        return endpoints;
    }

    private static byte[] LoadPage()
    {
        using var stream = typeof(StatusPageEndpoint).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The status page resource '{ResourceName}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
