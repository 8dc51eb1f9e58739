namespace ChatCluster.Bench.WebSockets;

/// <summary>Collects latencies from many tasks without locks (up to a fixed capacity) and gives percentiles.</summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly double[] milliseconds = new double[capacity];
    private int count;

    public int Count => Math.Min(Volatile.Read(ref count), milliseconds.Length);

    public void Record(TimeSpan latency)
    {
        var slot = Interlocked.Increment(ref count) - 1;
        if (slot < milliseconds.Length)
        {
            milliseconds[slot] = latency.TotalMilliseconds;
        }
    }

    /// <summary>The <paramref name="percentile"/> (0–100) of what was recorded, in milliseconds; NaN when nothing was.</summary>
    public double Percentile(double percentile)
    {
        var n = Count;
        if (n == 0)
        {
            return double.NaN;
        }

        var sorted = milliseconds[..n];
        Array.Sort(sorted);
        return sorted[Math.Min(n - 1, (int)Math.Ceiling(percentile / 100 * n) - 1)];
    }
}
