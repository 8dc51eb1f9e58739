using ChatCluster.Grains;

namespace ChatCluster.Bench.Chat;

/// <summary>A gateway's push observer for benches: counts the connections pushed to and does nothing else.</summary>
internal sealed class CountingGateway : IGatewayObserver
{
    private long delivered;

    public long Delivered => Interlocked.Read(ref delivered);

    public Task<IReadOnlyList<string>> Deliver(IReadOnlyList<PushedMessage> pushes)
    {
        foreach (var push in pushes)
        {
            Interlocked.Add(ref delivered, push.ConnectionIds.Length);
        }

        return Task.FromResult<IReadOnlyList<string>>([]);
    }
}
