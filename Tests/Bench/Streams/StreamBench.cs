using System.Diagnostics;
using ChatCluster.Streams;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace ChatCluster.Bench.Streams;

/// <summary>
/// Stream throughput on Orleans persistent streams over our log (one silo in this process, localhost clustering):
/// <c>publishers</c> loops, each awaiting one publish at a time through the write-only provider on its own stream, for
/// <c>seconds</c> after a warm-up, while two consumer groups (read-only providers, <see cref="LogReader"/>s, like the
/// chat's <c>persist</c> and <c>push</c>) count what they get in consumer grains, one per partition. Reports durable
/// appends per second, events per second delivered to each group, and publish-to-consumer latency; then how long the
/// groups take to catch up.
/// </summary>
internal static class StreamBench
{
    public const string Provider = "log";
    public const string Namespace = "bench";
    public const string FirstNamespace = "bench-first";
    public const string SecondNamespace = "bench-second";

    /// <summary>The Kafka topic's partitions: the Redis and SQLite logs' default queue count.</summary>

    public static async Task<int> RunAsync(string providerName, int publishers, double seconds, int queues, string? redisEndpoint, TextWriter output)
    {
        var loadAtStart = LoadAverage.Now();
        // Redis: a private redis-server with appendonly yes (appendfsync everysec, its default) unless an endpoint is given.
        await using var server = providerName == "redis" && redisEndpoint is null ? await RedisServer.StartAsync(appendOnly: true) : null;
        // Kafka: the test broker (librdkafka's in-memory mock cluster, 3 brokers, in a process of its own), which cannot create
        // topics through the admin API: the log's topic is created as it starts, with the log's queue count.
        var topic = $"bench-{Guid.NewGuid():N}"[..20];
        await using var broker = providerName == "kafka" ? await KafkaTestBroker.StartAsync([(topic, queues), ($"{topic}-dead-letters", 1)]) : null;
        var directory = Directory.CreateTempSubdirectory("chatcluster-bench-streams-").FullName;
        var counters = new DeliveryCounters();
        LogReader[] readers = [new("first", Namespace, FirstNamespace), new("second", Namespace, SecondNamespace)];
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton(counters);
            builder.UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort: FreePort.Get(), gatewayPort: 0);
                if (providerName == "sqlite")
                {
                    silo.AddSqliteLog(Provider, o =>
                    {
                        o.DatabasePath = Path.Combine(directory, "log.db");
                        o.Queues = queues;
                    }, readers);
                }
                else if (providerName == "kafka")
                {
                    silo.AddKafkaLog(Provider, o =>
                    {
                        o.BootstrapServers = broker!.BootstrapServers;
                        o.Topic = topic;
                        o.Queues = queues;

                        // The test broker holds a fetch for its whole wait even when records arrive (a real broker answers at once).
                        o.FetchWait = TimeSpan.FromMilliseconds(5);
                    }, readers);
                }
                else
                {
                    silo.AddRedisLog(Provider, o =>
                    {
                        o.Configuration = redisEndpoint ?? server!.Endpoint;
                        o.KeyPrefix = $"bench-{Guid.NewGuid():N}"[..20];
                        o.Queues = queues;
                    }, readers);
                }
            });
            using var host = builder.Build();
            await host.StartAsync();
            var log = host.Services.GetRequiredService<IClusterClient>().GetStreamProvider(Provider);
            var streams = Enumerable.Range(0, publishers).Select(i => log.GetStream<BenchEvent>(StreamId.Create(Namespace, $"publisher-{i}"))).ToArray();
            queues = host.Services.GetRequiredService<IStreamLog>().Queues;

            var where = server is not null ? " (private redis-server, appendonly yes)"
                : broker is not null ? $" (test broker: librdkafka's in-memory mock cluster, 3 brokers, acks=all, {broker.BootstrapServers})" : "";
            output.WriteLine($"streams: {providerName}{where}, {publishers} publishers, "
                + $"{queues} partitions, 2 consumer groups, Orleans silo in process, {Environment.ProcessorCount} cores; load {loadAtStart}; warming up…");
            var seq = new long[publishers];
            await PublishAsync(streams, seq, TimeSpan.FromSeconds(Math.Min(2, seconds)));

            var firstBefore = counters.First.Delivered;
            var secondBefore = counters.Second.Delivered;
            counters.Recording = true;
            var gen0Before = GC.CollectionCount(0);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            var appends = await PublishAsync(streams, seq, TimeSpan.FromSeconds(seconds));
            var elapsed = stopwatch.Elapsed.TotalSeconds;
            var firstDelivered = counters.First.Delivered - firstBefore;
            var secondDelivered = counters.Second.Delivered - secondBefore;
            counters.Recording = false;
            var loadAtEnd = LoadAverage.Now();

            var published = seq.Sum();
            var drain = Stopwatch.StartNew();
            while ((counters.First.Delivered < published || counters.Second.Delivered < published) && drain.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(10);
            }

            var caughtUp = counters.First.Delivered >= published && counters.Second.Delivered >= published;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            output.WriteLine($"appends (durable): {appends:N0} in {elapsed:F2} s = {appends / elapsed:N0}/s");
            output.WriteLine($"delivered to group 1: {firstDelivered:N0} = {firstDelivered / elapsed:N0}/s; latency p50 {counters.First.PercentileMilliseconds(0.5):F1} ms, "
                + $"p99 {counters.First.PercentileMilliseconds(0.99):F1} ms");
            output.WriteLine($"delivered to group 2: {secondDelivered:N0} = {secondDelivered / elapsed:N0}/s; latency p50 {counters.Second.PercentileMilliseconds(0.5):F1} ms, "
                + $"p99 {counters.Second.PercentileMilliseconds(0.99):F1} ms");
            output.WriteLine($"both groups caught up {drain.Elapsed.TotalMilliseconds:N0} ms after publishing stopped"
                + (caughtUp ? "" : $" (NOT caught up: gave up waiting; {counters.First.Delivered:N0} and {counters.Second.Delivered:N0} of {published:N0})"));
            output.WriteLine($"allocated in the window and the drain: {allocated / Math.Max(1, appends):N0} B per event (published and delivered to both groups, all in this process)");
            output.WriteLine($"gen0 collections: {GC.CollectionCount(0) - gen0Before}; load at start {loadAtStart}, at the end of the window {loadAtEnd}");
            await host.StopAsync();
            return caughtUp ? 0 : 1;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs every publisher loop for <paramref name="duration"/>; returns the publishes completed.</summary>
    private static async Task<long> PublishAsync(IAsyncStream<BenchEvent>[] streams, long[] seq, TimeSpan duration)
    {
        var window = LoadWindow.Start(duration);
        var counts = new long[streams.Length];
        var loops = Enumerable.Range(0, streams.Length).Select(i => Task.Run(async () =>
        {
            long done = 0;
            while (!window.Ended)
            {
                var publish = streams[i].OnNextAsync(new BenchEvent(i, ++seq[i], Stopwatch.GetTimestamp()));
                if (publish.IsCompleted)
                {
                    // Never let a loop keep its thread (a grain yields between calls anyway).
                    await Task.Yield();
                }

                await publish;
                done++;
            }

            counts[i] = done;
        })).ToArray();
        await Task.WhenAll(loops);
        return counts.Sum();
    }
}
