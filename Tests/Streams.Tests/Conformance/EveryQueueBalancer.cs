using Orleans.Streams;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>
/// A queue balancer that gives every queue to every silo: each silo's receivers read every queue at once, as two silos
/// do for a while when both believe they own a queue while the membership changes.
/// </summary>
public sealed class EveryQueueBalancer : IStreamQueueBalancer
{
    private List<QueueId> queues = [];

    public Task Initialize(IStreamQueueMapper queueMapper)
    {
        queues = [.. queueMapper.GetAllQueues()];
        return Task.CompletedTask;
    }

    public Task Shutdown() => Task.CompletedTask;

    public IEnumerable<QueueId> GetMyQueues() => queues;

    public bool SubscribeToQueueDistributionChangeEvents(IStreamQueueBalanceListener observer) => true;

    public bool UnSubscribeFromQueueDistributionChangeEvents(IStreamQueueBalanceListener observer) => true;
}
