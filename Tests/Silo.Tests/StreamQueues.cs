using System.Text.RegularExpressions;
using ChatCluster.Testing.Processes;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// Which log queues (partitions) a silo reads for a consumer group, from its <c>/metrics</c>: a silo reports
/// <c>chatcluster_stream_consumer_lag{group,namespace,partition}</c> for the queues it reads.
/// </summary>
internal static partial class StreamQueues
{
    /// <summary>The log's queues in cluster mode (ChatCluster:Streams:Partitions, default 8).</summary>
    public const int Count = 8;

    /// <summary>
    /// The queues <paramref name="silo"/> reads for <paramref name="group"/> (the lag is sampled every 5 s, so this waits
    /// up to 20 s for the first series).
    /// </summary>
    public static async Task<SortedSet<int>> ConsumedByAsync(ProcessCluster cluster, SiloProcess silo, string group)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var owned = await ReadAsync(cluster, silo, group);
            if (owned.Count > 0 || DateTime.UtcNow > deadline)
            {
                return owned;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>Waits until the running silos together read every queue of <paramref name="group"/>; returns them.</summary>
    public static async Task<SortedSet<int>> WaitUntilAllReadAsync(ProcessCluster cluster, string group, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var read = new SortedSet<int>();
            foreach (var silo in cluster.Silos.Where(s => s.IsRunning))
            {
                read.UnionWith(await ReadAsync(cluster, silo, group));
            }

            if (read.Count == Count)
            {
                return read;
            }

            Assert.True(DateTime.UtcNow < deadline, $"after {timeout.TotalSeconds} s the silos read only the {group} queues {string.Join(",", read)} of {Count}");
            await Task.Delay(500);
        }
    }

    private static async Task<SortedSet<int>> ReadAsync(ProcessCluster cluster, SiloProcess silo, string group)
    {
        var metrics = await cluster.Http(silo).GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var queues = new SortedSet<int>();
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith("chatcluster_stream_consumer_lag{", StringComparison.Ordinal)
                && line.Contains($"group=\"{group}\"", StringComparison.Ordinal)
                && Partition().Match(line) is { Success: true } match)
            {
                queues.Add(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return queues;
    }

    [GeneratedRegex("partition=\"(\\d+)\"")]
    private static partial Regex Partition();
}
