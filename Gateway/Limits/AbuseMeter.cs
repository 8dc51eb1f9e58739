namespace ChatCluster.Gateway.Limits;

/// <summary>
/// Counts one connection's rate-limited frames in a fixed window. A client that keeps sending after
/// <c>rate_limited</c> is ignoring the protocol, so past the threshold it is closed (1008) rather than
/// answered forever. Used only by the connection's receive loop, so it needs no locking.
/// </summary>
public sealed class AbuseMeter(int threshold, TimeSpan window, TimeProvider time)
{
    private long windowStart = time.GetTimestamp();
    private int count;

    /// <summary>Records one rate-limited frame; true when this one reaches the threshold within the window.</summary>
    public bool Record()
    {
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(windowStart, now) > window)
        {
            windowStart = now;
            count = 0;
        }

        return ++count >= threshold;
    }
}
