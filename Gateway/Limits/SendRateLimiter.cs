using System.Threading.RateLimiting;
using ChatCluster.Gateway.Auth;

namespace ChatCluster.Gateway.Limits;

/// <summary>
/// One token bucket per user id, shared by all of that user's connections to this process, so a
/// user cannot multiply their rate by opening more sockets. The partitioned limiter drops buckets
/// that have been full (idle) for a while, so memory follows active users, not all users ever seen.
/// </summary>
public sealed class SendRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    public SendRateLimiter(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A one-second period with SendsPerSecond tokens, not a finer period with one token: the partitioned
        // limiter replenishes on its own ~100 ms tick, which a finer period would silently slow down.
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.SendBurst,
            TokensPerPeriod = options.SendsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0, // refuse at once: a send is answered rate_limited, never delayed
            AutoReplenishment = false, // the partitioned limiter's own timer refills every bucket
        };
        // One factory for every partition: RateLimitPartition.GetTokenBucketLimiter would allocate a closure on each send.
        Func<string, RateLimiter> create = _ => new TokenBucketRateLimiter(bucket);
        limiter = PartitionedRateLimiter.Create<string, string>(userId => new RateLimitPartition<string>(userId, create), StringComparer.Ordinal);
    }

    /// <summary>Takes one send from <paramref name="userId"/>'s bucket; false when it is empty. Never waits.</summary>
    public bool TryAcquire(string userId)
    {
        using var lease = limiter.AttemptAcquire(userId);
        return lease.IsAcquired;
    }

    public void Dispose() => limiter.Dispose();
}
