using System.Diagnostics;

namespace ChatCluster.Bench.Streams;

/// <summary>
/// Counts the events one consumer group got and records publish-to-consumer latency in a histogram of 100 µs
/// buckets (up to 60 s), lock-free.
/// </summary>
internal sealed class DeliveryCounter
{
    private const long BucketMicroseconds = 100;
    private readonly long[] buckets = new long[600_000];
    private long delivered;
    private volatile bool recording;

    public long Delivered => Interlocked.Read(ref delivered);

    /// <summary>Latencies are recorded only while this is set (the measured window).</summary>
    public bool Recording
    {
        get => recording;
        set => recording = value;
    }

    public void Record(IList<Orleans.Streams.SequentialItem<BenchEvent>> items)
    {
        if (recording)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var item in items)
            {
                var micros = (long)Stopwatch.GetElapsedTime(item.Item.PublishedAt, now).TotalMicroseconds;
                Interlocked.Increment(ref buckets[Math.Clamp(micros / BucketMicroseconds, 0, buckets.Length - 1)]);
            }
        }

        Interlocked.Add(ref delivered, items.Count);
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
