using System.Globalization;
using System.Net;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>The HTTP endpoints beside the socket: readiness, Prometheus metrics and the demo page.</summary>
public sealed class OperationsEndpointTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task Readyz_is_200_ready_once_the_host_has_started()
    {
        using var response = await Host.Http.GetAsync(new Uri("/readyz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_count_frames_in_and_the_ack_latency_of_a_send()
    {
        var before = await ScrapeAsync();

        await using var client = await Host.ConnectAsync("metrics-alice");
        Assert.Equal("pong", (await client.RequestAsync("""{"type":"ping","id":"p"}""")).GetProperty("type").GetString());
        var ack = await client.RequestAsync("""{"type":"send","id":"s","to":"user:metrics-bob","clientMsgId":"m-1","body":{"text":"hi"}}""");
        Assert.Equal("ack", ack.GetProperty("type").GetString());

        var after = await ScrapeAsync();
        Assert.True(Value(after, "chatcluster_gateway_frames_in_total{type=\"ping\"}") > Value(before, "chatcluster_gateway_frames_in_total{type=\"ping\"}"));
        Assert.True(Value(after, "chatcluster_gateway_frames_in_total{type=\"send\"}") > Value(before, "chatcluster_gateway_frames_in_total{type=\"send\"}"));
        Assert.True(Value(after, "chatcluster_gateway_ack_latency_seconds_count") >= 1);
        Assert.True(Value(after, "chatcluster_gateway_ack_latency_seconds_bucket{le=\"+Inf\"}") >= 1);
        Assert.Contains("# TYPE chatcluster_gateway_ack_latency_seconds histogram", after.Text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_report_the_lag_of_every_stream_partition_this_silo_consumes()
    {
        var scrape = await ScrapeAsync();
        Assert.Contains("# TYPE chatcluster_stream_consumer_lag gauge", scrape.Text, StringComparison.Ordinal);
        // One series per handler group and partition (sampled when the handlers start, then every 5 s).
        var series = scrape.Text.Split('\n').Where(line => line.StartsWith("chatcluster_stream_consumer_lag{", StringComparison.Ordinal)).ToList();
        foreach (var group in new[] { "persist", "push" })
        {
            for (var partition = 0; partition < 8; partition++)
            {
                Assert.Contains(series, line => line.StartsWith(
                    $"chatcluster_stream_consumer_lag{{group=\"{group}\",namespace=\"timeline\",partition=\"{partition}\"}} ", StringComparison.Ordinal));
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_report_the_process_running_totals_of_allocation_and_cpu()
    {
        // The host runs in this process: a reading must lie between the process's own figures before and after the scrape
        // (a collector that added each reading to the last would report about twice the total from the second scrape on).
        await ScrapeAsync();
        var (allocatedBefore, cpuBefore) = (GC.GetTotalAllocatedBytes(), Environment.CpuUsage.TotalTime.TotalSeconds);
        var scrape = await ScrapeAsync();
        var (allocatedAfter, cpuAfter) = (GC.GetTotalAllocatedBytes(), Environment.CpuUsage.TotalTime.TotalSeconds);

        Assert.Contains("# TYPE chatcluster_process_allocated_bytes_total counter", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chatcluster_process_cpu_seconds_total counter", scrape.Text, StringComparison.Ordinal);
        Assert.Contains("# TYPE chatcluster_process_gc_pause_seconds_total counter", scrape.Text, StringComparison.Ordinal);
        Assert.InRange(Value(scrape, "chatcluster_process_allocated_bytes_total"), allocatedBefore, allocatedAfter);
        Assert.InRange(Value(scrape, "chatcluster_process_cpu_seconds_total"), cpuBefore - 0.001, cpuAfter + 0.001);
    }

    [Fact(Timeout = 60_000)]
    public async Task Metrics_count_error_frames_by_code()
    {
        await using var client = await Host.ConnectAsync("metrics-carol");
        Assert.Equal("error", (await client.RequestAsync("""{"type":"nope","id":"x"}""")).GetProperty("type").GetString());
        // The writer counts after sending: a later reply proves the error frame went out first.
        await client.RequestAsync("""{"type":"ping","id":"p"}""");

        var after = await ScrapeAsync();
        Assert.True(Value(after, "chatcluster_gateway_errors_total{code=\"bad_frame\"}") >= 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_demo_page_is_served_at_the_root()
    {
        using var response = await Host.Http.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>ChatCluster demo</title>", html, StringComparison.Ordinal);
        Assert.Contains("/ws", html, StringComparison.Ordinal);
        Assert.Contains("/api/dev/token", html, StringComparison.Ordinal);
    }

    private async Task<Scrape> ScrapeAsync()
    {
        using var response = await Host.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Content.Headers.ContentType!.Parameters, p => p.Name == "version" && p.Value == "0.0.4");
        return new Scrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>A sample's value by its full series text (name and labels); 0 when the series is absent.</summary>
    private static double Value(Scrape scrape, string series)
    {
        foreach (var line in scrape.Text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private sealed record Scrape(string Text);
}
