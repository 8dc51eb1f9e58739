using System.Diagnostics;
using System.Security.Cryptography;
using ChatCluster.Client;
using ChatCluster.Client.Tokens;

namespace ChatCluster.Bench.WebSockets;

/// <summary>
/// End-to-end direct messages over WebSockets against a running gateway, with the C# client: user i sends to
/// user i+1. Closed loop (<c>--window</c> sends in flight per user, as fast as acks come) measures throughput;
/// open loop (<c>--rate</c>) sends on a schedule and measures ack latency from the scheduled time, so a slow
/// server cannot hide its queueing delay.
/// </summary>
internal static class DirectMessagesBench
{
    /// <param name="Servers">Running gateways with development tokens on (user i uses gateway i mod count); empty to start the silo here (send rate limit raised).</param>
    /// <param name="Users">Connected users; user i sends to user i+1.</param>
    /// <param name="Window">Closed loop: sends in flight per user.</param>
    /// <param name="Seconds">The measured duration, after the warm-up.</param>
    /// <param name="Rate">Open loop: total sends per second on a fixed schedule; null for closed loop.</param>
    /// <param name="WarmupSeconds">Sending before the measured duration starts, not counted.</param>
    public sealed record Settings(IReadOnlyList<Uri> Servers, int Users, int Window, double Seconds, double? Rate, double WarmupSeconds = 2);

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        var signingKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        await using var silo = settings.Servers.Count == 0
            ? await BenchSilo.StartAsync(signingKey, new Dictionary<string, string>
            {
                // The bench measures the server, not the per-user limit (50/s by default).
                ["CHATCLUSTER__Gateway__SendsPerSecond"] = "1000000",
                ["CHATCLUSTER__Gateway__SendBurst"] = "1000000",
            })
            : null;
        IReadOnlyList<Uri> servers = silo is null ? settings.Servers : [silo.BaseAddress];
        var tokens = new BenchTokens(signingKey);
        var https = servers.Select(server => new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) }).ToList();
        Func<CancellationToken, ValueTask<string>> TokenFor(string user, int gateway) =>
            silo is null ? DevTokens.For(https[gateway], user) : _ => ValueTask.FromResult(tokens.For(user));
        Uri WebSocketOf(Uri server) => new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = "/ws" }.Uri;
        output.WriteLine($"ws-dm: {settings.Users} users, {(settings.Rate is { } r ? $"open loop at {r:N0} sends/s" : $"closed loop, window {settings.Window}")}, {settings.Seconds} s after {settings.WarmupSeconds} s warm-up, "
            + $"gateways {string.Join(", ", servers)}{(silo is null ? "" : $" (started here, pid {silo.ProcessId})")}");

        var clients = new ChatClient[settings.Users];
        var connecting = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, settings.Users).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var gateway = i % servers.Count;
                    clients[i] = new ChatClient(new ChatClientOptions { ServerUri = WebSocketOf(servers[gateway]), TokenProvider = TokenFor($"wsdm-{i}", gateway) });
                    await clients[i].ConnectAsync();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        output.WriteLine($"connected {settings.Users} clients in {connecting.Elapsed.TotalSeconds:F1} s");
        long pushed = 0;
        var readers = clients.Select(client => Task.Run(async () =>
        {
            await foreach (var _ in client.Messages.ReadAllAsync())
            {
                Interlocked.Increment(ref pushed);
            }
        })).ToList();

        var latencies = new LatencyRecorder(20_000_000);
        long acked = 0;
        long failed = 0;
        var measuring = 0;
        using var stop = new CancellationTokenSource();

        async Task SendOneAsync(ChatClient client, string to, long scheduled)
        {
            try
            {
                await client.SendTextAsync(to, "bench");
                if (Volatile.Read(ref measuring) == 1)
                {
                    Interlocked.Increment(ref acked);
                    latencies.Record(Stopwatch.GetElapsedTime(scheduled));
                }
            }
            catch (Exception ex) when (ex is TimeoutException or ChatCluster.Client.Protocol.ChatServerException)
            {
                Interlocked.Increment(ref failed);
            }
        }

        var loops = new List<Task>();
        for (var i = 0; i < settings.Users; i++)
        {
            var client = clients[i];
            var to = $"user:wsdm-{(i + 1) % settings.Users}";
            if (settings.Rate is { } rate)
            {
                var interval = TimeSpan.FromSeconds(settings.Users / rate);
                var offset = interval * i / settings.Users; // spread the users' ticks over one interval
                loops.Add(Task.Run(async () =>
                {
                    var inFlight = new List<Task>();
                    var start = Stopwatch.GetTimestamp() + (long)(offset.TotalSeconds * Stopwatch.Frequency);
                    for (long k = 0; !stop.IsCancellationRequested; k++)
                    {
                        var due = start + (long)(k * interval.TotalSeconds * Stopwatch.Frequency);
                        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait);
                        }

                        inFlight.Add(SendOneAsync(client, to, due));
                        inFlight.RemoveAll(task => task.IsCompleted);
                    }

                    await Task.WhenAll(inFlight);
                }));
            }
            else
            {
                for (var w = 0; w < settings.Window; w++)
                {
                    loops.Add(Task.Run(async () =>
                    {
                        while (!stop.IsCancellationRequested)
                        {
                            await SendOneAsync(client, to, Stopwatch.GetTimestamp());
                        }
                    }));
                }
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(settings.WarmupSeconds)); // warm-up: not counted
        var pushedAtStart = Interlocked.Read(ref pushed);
        var measured = Stopwatch.StartNew();
        Volatile.Write(ref measuring, 1);
        await Task.Delay(TimeSpan.FromSeconds(settings.Seconds));
        Volatile.Write(ref measuring, 0);
        measured.Stop();
        var pushedInWindow = Interlocked.Read(ref pushed) - pushedAtStart;
        await stop.CancelAsync();
        await Task.WhenAll(loops);

        var seconds = measured.Elapsed.TotalSeconds;
        output.WriteLine($"acked DMs: {acked:N0} in {seconds:F2} s = {acked / seconds:N0}/s; failed: {failed:N0}; pushes received meanwhile: {pushedInWindow / seconds:N0}/s");
        output.WriteLine($"ack latency ms: p50 {latencies.Percentile(50):F2}, p99 {latencies.Percentile(99):F2}, max {latencies.Percentile(100):F2}");

        await Task.WhenAll(clients.Select(client => client.DisposeAsync().AsTask()));
        await Task.WhenAll(readers);
        https.ForEach(h => h.Dispose());
        return failed == 0 ? 0 : 1;
    }
}
