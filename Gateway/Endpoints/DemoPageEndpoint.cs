using Microsoft.AspNetCore.Http;

namespace ChatCluster.Gateway.Endpoints;

/// <summary>
/// <c>GET /</c>: the demo chat page. It is embedded in this assembly rather than served from a
/// wwwroot, so it is found the same way under <c>dotnet run</c>, a published silo and the test host.
/// </summary>
public static class DemoPageEndpoint
{
    private const string ResourceName = "ChatCluster.Gateway.Web.index.html";

    // Read once: the page never changes while the process runs.
    private static readonly Lazy<byte[]> Page = new(Load);

    public static IResult Handle() => Results.Bytes(Page.Value, "text/html; charset=utf-8");

    private static byte[] Load()
    {
        using var stream = typeof(DemoPageEndpoint).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The demo page resource '{ResourceName}' is missing from the gateway assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
