using System.Globalization;

namespace ChatCluster.Bench.WebSockets;

/// <summary>Two numbers from the gateway's <c>GET /metrics</c>: open connections and the managed heap size.</summary>
internal sealed record ServerMetrics(long Connections, long GcHeapBytes)
{
    public static async Task<ServerMetrics> ScrapeAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).ConfigureAwait(false);
        return new ServerMetrics(Value(text, "chatcluster_gateway_connections"), Value(text, "chatcluster_process_gc_heap_bytes"));
    }

    /// <summary>An unlabelled sample's value; -1 when the gateway does not expose it.</summary>
    private static long Value(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                return (long)double.Parse(line.AsSpan(name.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
