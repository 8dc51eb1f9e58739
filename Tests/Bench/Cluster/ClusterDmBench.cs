using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ChatCluster.Bench.WebSockets;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Bench.Cluster;

/// <summary>
/// Direct messages end to end through a local cluster: a private Redis (membership and the Redis Streams log,
/// appendonly yes; or the log in the Kafka test broker with <c>--provider kafka</c>) and PostgreSQL (grain state and messages), silo processes and gateway processes started as
/// <see cref="ProcessCluster"/> starts them for the process tests, driven by the C# client as <c>ws-dm</c> drives
/// one silo (<see cref="DirectMessagesBench"/>: users spread over the gateways, or over the silos' own WebSocket
/// endpoints when no gateway process is started; closed loop with a window per user). Or the gateways of a cluster already running. Every process it started is stopped at the end, and checked.
/// </summary>
internal static class ClusterDmBench
{
    /// <summary>The Kafka topic's partitions: the silos' default <c>ChatCluster:Streams:Partitions</c>.</summary>
    private const int KafkaPartitions = 8;

    public sealed record Settings(IReadOnlyList<Uri> Gateways, string Provider, int Silos, int GatewayProcesses, int Users, int Window, double Seconds, double WarmupSeconds);

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        var dm = new DirectMessagesBench.Settings(settings.Gateways, settings.Users, settings.Window, settings.Seconds, Rate: null, settings.WarmupSeconds);
        if (settings.Gateways.Count > 0)
        {
            output.WriteLine($"cluster-dm: the running cluster behind {string.Join(", ", settings.Gateways)}; load {LoadAverage()}");
            var code = await DirectMessagesBench.RunAsync(dm, output);
            output.WriteLine($"load {LoadAverage()}");
            return code;
        }

        var started = Stopwatch.StartNew();
        var redis = await RedisServer.StartAsync(appendOnly: true);
        PostgresServer? postgres = null;
        KafkaTestBroker? kafka = null;
        ProcessCluster? cluster = null;
        var processes = new List<(string Name, int Pid)>();
        var result = 1;
        try
        {
            postgres = await PostgresServer.StartAsync();
            var environment = new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                // The bench measures the cluster, not the per-user send limit (50/s by default).
                ["CHATCLUSTER__Gateway__SendsPerSecond"] = "1000000",
                ["CHATCLUSTER__Gateway__SendBurst"] = "1000000",
            };
            var log = $"the log in Redis Streams";
            if (settings.Provider == "kafka")
            {
                // The test broker cannot create topics through the admin API (it would auto-create one with 4 partitions):
                // the log's topic is created as it starts, with the silos' partition count.
                const string Topic = "cluster-dm-log";
                kafka = await KafkaTestBroker.StartAsync([(Topic, KafkaPartitions), ($"{Topic}-dead-letters", 1)]);
                if (kafka.ProcessId is { } brokerPid)
                {
                    processes.Add(("Kafka test broker", brokerPid));
                }

                environment["CHATCLUSTER__STREAMS__PROVIDER"] = "Kafka";
                environment["CHATCLUSTER__STREAMS__PARTITIONS"] = KafkaPartitions.ToString(CultureInfo.InvariantCulture);
                environment["CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS"] = kafka.BootstrapServers;
                environment["CHATCLUSTER__KAFKA__TOPIC"] = Topic;
                log = $"the log in Kafka {kafka.BootstrapServers} (the test broker: librdkafka's in-memory mock cluster, 3 brokers; topic {Topic}, {KafkaPartitions} partitions)";
            }

            cluster = await ProcessCluster.StartAsync(redis.Endpoint, postgres.ConnectionString, settings.Silos, settings.GatewayProcesses, environment);
            processes.AddRange(cluster.Silos.Select((s, i) => ($"silo {i}", s.ProcessId)));
            processes.AddRange(cluster.Gateways.Select((g, i) => ($"gateway {i}", g.ProcessId)));
            output.WriteLine($"cluster-dm: {settings.Silos} silos ({string.Join(", ", cluster.Silos.Select(s => s.BaseAddress))}), "
                + $"{settings.GatewayProcesses} gateways ({string.Join(", ", cluster.Gateways.Select(g => g.BaseAddress))}); clients on {string.Join(", ", cluster.Endpoints.Select(e => e.BaseAddress))}; Redis {redis.Endpoint} (appendonly yes), {log}, "
                + $"PostgreSQL 127.0.0.1:{postgres.Port} (fsync off); all on {Environment.ProcessorCount} cores; up in {started.Elapsed.TotalSeconds:F1} s; load {LoadAverage()}");
            result = await DirectMessagesBench.RunAsync(dm with { Servers = [.. cluster.Endpoints.Select(g => g.BaseAddress)] }, output);
            output.WriteLine($"load {LoadAverage()}");
            if (kafka is not null)
            {
                // That the silos wrote the log to Kafka: the records its topic holds.
                output.WriteLine($"  Kafka topic cluster-dm-log holds {KafkaRecords(kafka.BootstrapServers, "cluster-dm-log"):N0} records");
            }
            foreach (var (process, name) in cluster.Silos.Select((s, i) => (s, $"silo {i}")).Concat(cluster.Gateways.Select((g, i) => (g, $"gateway {i}"))))
            {
                output.WriteLine($"  {name} log: {LogSummary(process.Output)}");
            }

            // Graceful stop, gateways first: each process drains and exits by itself on SIGTERM.
            foreach (var (process, name) in cluster.Gateways.Select((g, i) => (g, $"gateway {i}")).Concat(cluster.Silos.Select((s, i) => (s, $"silo {i}"))))
            {
                try
                {
                    var code = await process.TerminateAsync(TimeSpan.FromSeconds(30));
                    output.WriteLine($"  {name} (pid {process.ProcessId}) exited with {code} after SIGTERM");
                }
                catch (OperationCanceledException)
                {
                    output.WriteLine($"  {name} (pid {process.ProcessId}) did not exit within 30 s of SIGTERM; it is killed");
                }
            }
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync(); // kills whatever did not exit
            }

            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }

            if (kafka is not null)
            {
                await kafka.DisposeAsync();
            }

            await redis.DisposeAsync();
            var left = processes.Where(p => Directory.Exists($"/proc/{p.Pid.ToString(CultureInfo.InvariantCulture)}")).ToList();
            var listening = new List<string>();
            if (await AcceptsAsync(redis.Port))
            {
                listening.Add($"Redis on {redis.Port}");
            }

            if (postgres is not null && await AcceptsAsync(postgres.Port))
            {
                listening.Add($"PostgreSQL on {postgres.Port}");
            }

            output.WriteLine(left.Count == 0 && listening.Count == 0
                ? $"stopped: all {processes.Count} silo/gateway{(kafka is null ? "" : "/broker")} processes gone, Redis and PostgreSQL stopped (their ports closed)"
                : $"NOT stopped: {string.Join(", ", left.Select(p => $"{p.Name} pid {p.Pid}").Concat(listening))}");
        }

        return result;
    }

    /// <summary>The warnings and errors in a process's console log (level Warning): how many, and the commonest messages.</summary>
    private static string LogSummary(string log)
    {
        var lines = log.Split('\n');
        var messages = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal)
                || lines[i].StartsWith("crit:", StringComparison.Ordinal))
            {
                var text = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
                messages.Add($"{lines[i][..4]} {(text.Length > 120 ? text[..120] + "…" : text)}");
            }
        }

        if (messages.Count == 0)
        {
            return "no warnings or errors";
        }

        var common = messages.GroupBy(m => m).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()} × {g.Key}");
        return $"{messages.Count} warnings/errors: {string.Join("; ", common)}";
    }

    private static long KafkaRecords(string bootstrapServers, string topic)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "cluster-dm-bench" }).Build();
        return Enumerable.Range(0, KafkaPartitions)
            .Sum(p => consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value);
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
