using System.Text;
using ChatCluster.Testing.Processes;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// What the chaos tests share: a cluster of three silos and two stand-alone gateway processes, a steady load of direct
/// messages through the gateways, a silo to hurt, and the checks after the harm.
/// </summary>
internal static class ChaosCluster
{
    /// <summary>How long the cluster may take to settle after a change (the machine is shared: generous).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Three silos and two gateways; the log in Redis Streams or in Kafka (<paramref name="log"/>: a test broker of the
    /// cluster's own); with <paramref name="privateServers"/>, a Redis and a PostgreSQL of its own that a test may stop.
    /// </summary>
    public static Task<ProcessCluster> StartAsync(bool privateServers = false, ClusterLog log = ClusterLog.RedisStreams) =>
        ProcessCluster.StartAsync(silos: 3, gateways: 2, privateServers: privateServers, log: log);

    /// <summary>The silo a test stops, kills or freezes: the last one (the gateways' Orleans clients call every silo).</summary>
    public static SiloProcess Victim(ProcessCluster cluster) => cluster.Silos[2];

    /// <summary>12 senders to 40 online recipients through the two gateways, running until 200 sends are acked.</summary>
    public static async Task<DirectMessageLoad> StartLoadAsync(ProcessCluster cluster)
    {
        var load = await DirectMessageLoad.StartAsync(cluster, cluster.Gateways, senderCount: 12, recipients: 40);
        await load.WaitForAcksAsync(200, Settle);
        return load;
    }

    /// <summary>
    /// Writes the load's outcome (resent sends, the longest wait), then checks that no send failed, that none waited
    /// <paramref name="longestWaitAllowed"/> or more, and that every acked message is in PostgreSQL and in <c>sync</c>
    /// once, at its seq.
    /// </summary>
    public static async Task VerifyAsync(ProcessCluster cluster, DirectMessageLoad load, ITestOutputHelper output, TimeSpan longestWaitAllowed)
    {
        output.WriteLine(load.Summary());
        KeepOutputs(cluster, output);
        output.WriteLine("logged most:\n" + load.LoggedDigest());
        load.AssertNoFailures(output);
        Assert.True(load.LongestWait < longestWaitAllowed, $"a send waited {load.LongestWait.TotalSeconds:F1} s for its answer");
        try
        {
            await load.VerifyStoredAsync(cluster.Database, Settle);
            await load.VerifyAsync(cluster.Gateways[1]);
            output.WriteLine(load.PushDigest());
        }
        catch when (cluster.Log == ClusterLog.Kafka)
        {
            output.WriteLine(DescribeKafkaLog(cluster));
            throw;
        }
    }

    /// <summary>Where <c>CHATCLUSTER_CHAOS_LOGS</c> names a directory, every process's output goes there (for a look at a run that passed).</summary>
    private static void KeepOutputs(ProcessCluster cluster, ITestOutputHelper output)
    {
        if (Environment.GetEnvironmentVariable("CHATCLUSTER_CHAOS_LOGS") is not { Length: > 0 } directory)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        foreach (var (process, i) in cluster.Silos.Concat(cluster.Gateways).Select((p, i) => (p, i)))
        {
            File.WriteAllText(Path.Combine(directory, $"{cluster.ClusterId}-{i}-{process.Name}.log"), process.Output);
        }

        output.WriteLine($"the processes' output is in {directory}/{cluster.ClusterId}-*.log");
    }

    // What the consumer groups of the Kafka log hold, and what the silos said about Kafka: a message missing from
    // PostgreSQL is usually one whose partition the persistence group committed past, or never read on.
    private static string DescribeKafkaLog(ProcessCluster cluster)
    {
        var text = new StringBuilder($"the timeline log in Kafka (topic {cluster.KafkaTopic}):\n");
        try
        {
            var bootstrap = cluster.Kafka.BootstrapServers;
            foreach (var group in new[] { "persist", "push" })
            {
                using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
                {
                    BootstrapServers = bootstrap,
                    GroupId = $"{cluster.KafkaTopic}-{group}",
                    EnableAutoCommit = false,
                }).Build();
                var partitions = Enumerable.Range(0, StreamQueues.Count).Select(p => new TopicPartition(cluster.KafkaTopic, p)).ToList();
                var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10));
                text.AppendLine($"  {group}: " + string.Join(", ", committed.Select(c =>
                    $"{c.Partition.Value}: {c.Offset.Value}/{consumer.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High.Value}")));
            }
        }
        catch (KafkaException ex)
        {
            text.AppendLine($"  (not readable: {ex.Message})");
        }

        foreach (var (silo, i) in cluster.Silos.Select((s, i) => (s, i)))
        {
            var said = silo.Output.Split('\n').Where(l => l.Contains("Kafka", StringComparison.Ordinal) || l.Contains("Reader ", StringComparison.Ordinal)
                || l.Contains("fail", StringComparison.OrdinalIgnoreCase)).TakeLast(30);
            text.AppendLine($"--- silo {i} (port {silo.Port}, {(silo.IsRunning ? "running" : "exited")}):\n{string.Join("\n", said)}");
        }

        return text.ToString();
    }
}
