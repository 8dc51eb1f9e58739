using ChatCluster.Grains;
using ChatCluster.Grains.Push;

namespace ChatCluster.Bench.Chat;

/// <summary>The push seam for benches: counts deliveries and does nothing else.</summary>
internal sealed class CountingDelivery : IMessageDelivery
{
    private long delivered;

    public long Delivered => Interlocked.Read(ref delivered);

    public ValueTask DeliverAsync(IReadOnlyList<Session> sessions, ChatMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref delivered, sessions.Count);
        return ValueTask.CompletedTask;
    }
}
