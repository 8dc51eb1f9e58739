using System.Diagnostics;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Limits;
using Xunit;

namespace ChatCluster.Gateway.Tests.Limits;

/// <summary>One bucket per user: a burst, then refusals, then the bucket refills on the limiter's own timer.</summary>
public sealed class SendRateLimiterTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_users_bucket_empties_after_the_burst_and_refills_without_touching_others()
    {
        using var limiter = new SendRateLimiter(new GatewayOptions { SendsPerSecond = 2, SendBurst = 3 });

        Assert.All(Enumerable.Range(0, 3), _ => Assert.True(limiter.TryAcquire("alice")));
        Assert.False(limiter.TryAcquire("alice"));
        Assert.True(limiter.TryAcquire("bob"));

        // The partitioned limiter refills every bucket once a period (1 s) on its own timer.
        var waited = Stopwatch.StartNew();
        while (!limiter.TryAcquire("alice"))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "alice's bucket never refilled");
            await Task.Delay(50);
        }
    }
}
