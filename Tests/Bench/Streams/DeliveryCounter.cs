using System.Diagnostics;
using ChatCluster.Runtime;

namespace ChatCluster.Bench.Streams;

/// <summary>
/// A stream handler that counts events and records publish-to-handler latency in a histogram of
/// 100 µs buckets (up to 60 s), lock-free.
/// </summary>
internal class DeliveryCounter : IStreamHandler<BenchEvent>
{
    private const long BucketMicroseconds = 100;
    private readonly long[] buckets = new long[600_000];
    private long delivered;

    public long Delivered => Interlocked.Read(ref delivered);

    /// <summary>Latencies are recorded only while this is set (the measured window).</summary>
    public bool Recording { get; set; }

    public Task HandleAsync(IReadOnlyList<StreamEvent<BenchEvent>> batch, CancellationToken cancellationToken)
    {
        if (Recording)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var item in batch)
            {
                var micros = (long)Stopwatch.GetElapsedTime(item.Event.PublishedAt, now).TotalMicroseconds;
                Interlocked.Increment(ref buckets[Math.Min(micros / BucketMicroseconds, buckets.Length - 1)]);
            }
        }

        Interlocked.Add(ref delivered, batch.Count);
        return Task.CompletedTask;
    }

    /// <summary>The latency below which <paramref name="fraction"/> of the recorded events fall, in milliseconds.</summary>
    public double PercentileMilliseconds(double fraction)
    {
        var total = buckets.Sum();
        if (total == 0)
        {
            return double.NaN;
        }

        var target = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= target)
            {
                return (i + 1) * BucketMicroseconds / 1000.0;
            }
        }

        return double.PositiveInfinity;
    }
}

/// <summary>The counter of the second handler group (handlers are singletons by type).</summary>
internal sealed class SecondDeliveryCounter : DeliveryCounter;
