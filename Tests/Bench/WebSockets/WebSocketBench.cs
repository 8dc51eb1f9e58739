using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace ChatCluster.Bench.WebSockets;

/// <summary>
/// <c>ws-connections</c>: opens many idle, heartbeating WebSocket connections to one gateway process,
/// holds them past several keep-alive pings, and reports the server's memory per connection.
/// </summary>
internal static class WebSocketBench
{
    private const int WarmUpConnections = 20;

    public static async Task<int> RunAsync(WebSocketBenchSettings settings, TextWriter output)
    {
        var signingKey = settings.SigningKey ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        await using var silo = settings.Url is null
            ? await BenchSilo.StartAsync(signingKey, new Dictionary<string, string>
            {
                ["CHATCLUSTER__Gateway__KeepAliveInterval"] = BenchSilo.Setting(settings.KeepAliveInterval),
                ["CHATCLUSTER__Gateway__IdleTimeout"] = BenchSilo.Setting(settings.KeepAliveInterval * 3),
            }).ConfigureAwait(false)
            : null;
        var url = silo?.BaseAddress ?? settings.Url!;
        var pid = silo?.ProcessId ?? settings.Pid!.Value;
        var wsUri = new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws", Path = "/ws" }.Uri;
        var tokens = new BenchTokens(signingKey);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        using var invokers = new SourceAddressInvokers(settings.SourceAddresses);
        output.WriteLine($"server pid {pid} at {url}; {settings.Connections:N0} connections as {settings.Users:N0} users from {invokers.Count} source addresses");

        // Warm-up: the first connections JIT the whole path and fill pools; the baseline is taken after them.
        await using (var warm = new ConnectionSet(wsUri, invokers))
        {
            await warm.OpenAsync(WarmUpConnections, i => tokens.For($"wsb-warm-{i}"), settings.Concurrency, output).ConfigureAwait(false);
            await warm.PingAllAsync(0).ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        var rssBefore = ProcessMemory.RssBytes(pid);
        var metricsBefore = await ServerMetrics.ScrapeAsync(http).ConfigureAwait(false);
        output.WriteLine($"before: RSS {Mib(rssBefore)} MiB, GC heap {Mib(metricsBefore.GcHeapBytes)} MiB, {metricsBefore.Connections} connections");

        await using var set = new ConnectionSet(wsUri, invokers);
        var opening = Stopwatch.StartNew();
        await set.OpenAsync(settings.Connections, i => tokens.For($"wsb-u{i % settings.Users}"), settings.Concurrency, output).ConfigureAwait(false);
        output.WriteLine($"opened {set.Opened:N0} in {opening.Elapsed.TotalSeconds:F1} s ({set.Failed:N0} failed)");

        // Hold: each connection sends an app-level ping about every PingEverySeconds; the server sends its PINGs meanwhile.
        var hold = Stopwatch.StartNew();
        var slots = Math.Max(1, (int)Math.Round(settings.PingEverySeconds));
        for (var tick = 1; hold.Elapsed.TotalSeconds < settings.HoldSeconds; tick++)
        {
            await set.PingSlotAsync(tick % slots, slots).ConfigureAwait(false);
            var wait = TimeSpan.FromSeconds(tick) - hold.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            if (tick % 10 == 0)
            {
                output.WriteLine($"  held {hold.Elapsed.TotalSeconds:F0} s: {set.CountOpen():N0} open, {set.Pongs:N0} pongs, server RSS {Mib(ProcessMemory.RssBytes(pid))} MiB");
            }
        }

        var open = set.CountOpen();
        var rssAfter = ProcessMemory.RssBytes(pid);
        var metricsAfter = await ServerMetrics.ScrapeAsync(http).ConfigureAwait(false);
        var kibPerConnection = open == 0 ? double.NaN : (rssAfter - rssBefore) / 1024.0 / open;
        var gcKibPerConnection = open == 0 || metricsAfter.GcHeapBytes < 0 ? double.NaN : (metricsAfter.GcHeapBytes - metricsBefore.GcHeapBytes) / 1024.0 / open;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ws-connections: connections={settings.Connections} users={settings.Users} held={open} (server gauge {metricsAfter.Connections}, " +
            $"server fds {ProcessMemory.OpenFiles(pid)}) hold={settings.HoldSeconds:F0}s keepalive={settings.KeepAliveInterval.TotalSeconds:F0}s pongs={set.Pongs} " +
            $"rss_before={Mib(rssBefore)}MiB rss_after={Mib(rssAfter)}MiB gc_heap_before={Mib(metricsBefore.GcHeapBytes)}MiB gc_heap_after={Mib(metricsAfter.GcHeapBytes)}MiB " +
            $"rss_kib_per_conn={kibPerConnection:F2} gc_heap_kib_per_conn={gcKibPerConnection:F2}"));
        return open == settings.Connections ? 0 : 1;
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
