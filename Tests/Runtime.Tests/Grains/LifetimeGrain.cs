using System.Collections.Concurrent;
using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

/// <summary>
/// Records, across every silo in the test process, each start of an activation (+1) and each end of a
/// deactivation (-1) by grain key, in the order they happened. Deactivating takes a while (as writing state
/// does), so that a second activation started before the first is gone shows up as two at once.
/// </summary>
public sealed class LifetimeGrain : Grain, ILifetimeGrain
{
    /// <summary>(grain key, +1 activation started or -1 deactivation finished), in order; tests filter by their own keys.</summary>
    public static ConcurrentQueue<(string Key, int Change)> Events { get; } = new();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Events.Enqueue((GetPrimaryKeyString(), +1));
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await Task.Delay(200, CancellationToken.None);
        Events.Enqueue((GetPrimaryKeyString(), -1));
    }

    public Task Touch() => Task.CompletedTask;

    /// <summary>The most activations of any of <paramref name="keys"/> that were alive at one time, by the recorded events.</summary>
    public static int MostAliveAtOnce(IReadOnlyCollection<string> keys)
    {
        var alive = new Dictionary<string, int>();
        var most = 0;
        foreach (var (key, change) in Events)
        {
            if (keys.Contains(key))
            {
                alive[key] = alive.GetValueOrDefault(key) + change;
                most = Math.Max(most, alive[key]);
            }
        }

        return most;
    }
}
