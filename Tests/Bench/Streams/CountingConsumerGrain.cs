using Orleans.Streams;
using Orleans.Streams.Core;

namespace ChatCluster.Bench.Streams;

/// <summary>
/// A consumer of one log partition for one reader (grain key: the partition), as the chat's consumers are
/// (<c>TimelinePartitionConsumer</c>): subscribed implicitly on the reader's namespace, kept active, handed each
/// batch. It only counts.
/// </summary>
public abstract class CountingConsumerGrain : Grain, IStreamSubscriptionObserver, IAsyncBatchObserver<BenchEvent>
{
    private readonly DeliveryCounter counter;

    internal CountingConsumerGrain(DeliveryCounter counter) => this.counter = counter;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        return handleFactory.Create<BenchEvent>().ResumeAsync(this);
    }

    public Task OnNextAsync(IList<SequentialItem<BenchEvent>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        counter.Record(items);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
