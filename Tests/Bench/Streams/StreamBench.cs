using System.Diagnostics;
using System.Text.Json;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Redis;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Bench.Streams;

/// <summary>
/// Stream throughput: <c>publishers</c> loops, each awaiting one publish at a time on its own stream
/// id, for <c>seconds</c> after a warm-up, with two handler groups (persist, push) consuming. Reports
/// durable appends per second, events per second delivered to each group, and publish-to-handler
/// latency; then how long the groups take to catch up. With <c>fenced</c> (Redis only) every append is made on behalf
/// of a silo incarnation listed in a membership hash, as grain publishes are in cluster mode, so each goes through the
/// script that checks it.
/// </summary>
internal static class StreamBench
{
    private const string Namespace = "bench";

    private const string Writer = "127.0.0.1:1@1";

    public static async Task<int> RunAsync(string providerName, int publishers, double seconds, string? redisEndpoint, bool fenced, TextWriter output)
    {
        // Redis: a private redis-server with appendonly yes (appendfsync everysec, its default) unless an endpoint is given.
        await using var server = providerName == "redis" && redisEndpoint is null ? await RedisServer.StartAsync(appendOnly: true) : null;
        var directory = Path.Combine(Path.GetTempPath(), $"chatcluster-bench-{Guid.NewGuid():N}");
        var persist = new DeliveryCounter();
        var push = new SecondDeliveryCounter();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(persist);
        services.AddSingleton(push);
        var builder = services.AddGrainRuntime().AddMemoryGrainStorage();
        if (providerName == "sqlite")
        {
            builder.AddSqliteStreams(Path.Combine(directory, "streams.db"));
        }
        else if (providerName == "redis")
        {
            var endpoint = redisEndpoint ?? server!.Endpoint;
            var prefix = $"bench-{Guid.NewGuid():N}";
            if (fenced)
            {
                await using var redis = new ChatCluster.Runtime.Redis.RedisConnection(new ChatCluster.Runtime.Redis.RedisOptions { Endpoint = endpoint });
                await redis.ConnectAsync(CancellationToken.None);
                await redis.ExecuteAsync(["HSET", $"{prefix}:members", Writer, """{"status":"Active"}"""], CancellationToken.None);
            }

            builder.AddRedisStreams(null, o =>
            {
                o.KeyPrefix = prefix;
                o.MembershipKey = fenced ? $"{prefix}:members" : null;
            }, r => r.Endpoint = endpoint);
        }
        else
        {
            builder.AddMemoryStreams();
        }

        builder.AddStreamHandler<DeliveryCounter, BenchEvent>(Namespace, "persist")
            .AddStreamHandler<SecondDeliveryCounter, BenchEvent>(Namespace, "push");
        try
        {
            await using var provider = services.BuildServiceProvider();
            var runtime = provider.GetRequiredService<GrainRuntime>();
            await runtime.StartAsync(CancellationToken.None);
            var publisher = provider.GetRequiredService<StreamPublisher>();
            var log = provider.GetRequiredService<IStreamProvider>();
            Func<StreamId, BenchEvent, Task> publish = fenced
                ? (stream, e) => log.AppendAsync(stream, JsonSerializer.SerializeToUtf8Bytes(e, JsonSerializerOptions.Web), Writer, CancellationToken.None)
                : (stream, e) => publisher.PublishAsync(stream, e);
            var streams = Enumerable.Range(0, publishers).Select(i => new StreamId(Namespace, $"publisher-{i}")).ToArray();

            output.WriteLine($"streams: {providerName}{(fenced ? " (fenced appends)" : "")}, {publishers} publishers, 2 handler groups, {Environment.ProcessorCount} cores, warming up…");
            var seq = new long[publishers];
            await PublishAsync(publish, streams, seq, TimeSpan.FromSeconds(Math.Min(2, seconds)));

            var persistBefore = persist.Delivered;
            var pushBefore = push.Delivered;
            persist.Recording = push.Recording = true;
            var gen0Before = GC.CollectionCount(0);
            var stopwatch = Stopwatch.StartNew();
            var appends = await PublishAsync(publish, streams, seq, TimeSpan.FromSeconds(seconds));
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            var persistDelivered = persist.Delivered - persistBefore;
            var pushDelivered = push.Delivered - pushBefore;
            persist.Recording = push.Recording = false;

            var published = seq.Sum();
            var drain = Stopwatch.StartNew();
            while ((persist.Delivered < published || push.Delivered < published) && drain.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(10);
            }

            output.WriteLine($"appends (durable): {appends:N0} in {elapsed:F2} s = {appends / elapsed:N0}/s");
            output.WriteLine($"delivered to persist: {persistDelivered:N0} = {persistDelivered / elapsed:N0}/s; latency p50 {persist.PercentileMilliseconds(0.5):F1} ms, p99 {persist.PercentileMilliseconds(0.99):F1} ms");
            output.WriteLine($"delivered to push:    {pushDelivered:N0} = {pushDelivered / elapsed:N0}/s; latency p50 {push.PercentileMilliseconds(0.5):F1} ms, p99 {push.PercentileMilliseconds(0.99):F1} ms");
            output.WriteLine($"both groups caught up {drain.Elapsed.TotalMilliseconds:N0} ms after publishing stopped"
                + (persist.Delivered < published || push.Delivered < published ? " (NOT caught up: gave up waiting)" : ""));
            output.WriteLine($"gen0 collections: {GC.CollectionCount(0) - gen0Before}");
            await runtime.StopAsync(CancellationToken.None);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Runs every publisher loop for <paramref name="duration"/>; returns the publishes completed.</summary>
    private static async Task<long> PublishAsync(Func<StreamId, BenchEvent, Task> publisher, StreamId[] streams, long[] seq, TimeSpan duration)
    {
        var stop = 0;
        var counts = new long[streams.Length];
        var loops = Enumerable.Range(0, streams.Length).Select(i => Task.Run(async () =>
        {
            long done = 0;
            while (Volatile.Read(ref stop) == 0)
            {
                var publish = publisher(streams[i], new BenchEvent(i, ++seq[i], Stopwatch.GetTimestamp()));
                if (publish.IsCompleted)
                {
                    // The memory provider appends synchronously: without a yield each loop would keep
                    // its thread forever, starving the consumers (a grain yields between calls anyway).
                    await Task.Yield();
                }

                await publish;
                done++;
            }

            counts[i] = done;
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        return counts.Sum();
    }
}
