using System.Globalization;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace ChatCluster.Streams.Tests.Conformance;

public interface ITestProducerGrain : IGrainWithStringKey
{
    /// <summary>Publishes events <paramref name="from"/> to <paramref name="from"/> + <paramref name="count"/> - 1 of each stream, interleaved.</summary>
    Task PublishAsync(string run, string provider, string streamNamespace, string[] streams, int from, int count);
}

/// <summary>Publishes through the write-only provider without awaiting each event: the adapter keeps call order.</summary>
public sealed class TestProducerGrain : Grain, ITestProducerGrain
{
    public async Task PublishAsync(string run, string provider, string streamNamespace, string[] streams, int from, int count)
    {
        var streamProvider = this.GetStreamProvider(provider);
        var targets = streams.Select(key => streamProvider.GetStream<TestEvent>(StreamId.Create(streamNamespace, key))).ToArray();
        var pending = new List<Task>();
        for (var counter = from; counter < from + count; counter++)
        {
            for (var i = 0; i < targets.Length; i++)
            {
                pending.Add(targets[i].OnNextAsync(new TestEvent(run, streams[i], counter)));
            }

            if (pending.Count >= 512)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }
}

public interface IPersistConsumerGrain : IGrainWithStringKey;

public interface IPushConsumerGrain : IGrainWithStringKey;

/// <summary>A consumer of one queue of a reader provider (its key is the queue number), taking batches.</summary>
public abstract class TestConsumerGrain : Grain, IStreamSubscriptionObserver
{
    protected abstract string Provider { get; }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<TestEvent>().ResumeAsync(new Observer(this));

    private async Task OnBatchAsync(IList<SequentialItem<TestEvent>> items)
    {
        var queue = int.Parse(this.GetPrimaryKeyString(), CultureInfo.InvariantCulture);
        foreach (var run in items.Select(item => item.Item.Run).Distinct())
        {
            if (TestRun.Find(run) is { } found)
            {
                await found.BeforeBatchAsync(Provider);
            }
        }

        if (items.Count > 0)
        {
            TestRun.Find(items[0].Item.Run)?.For(Provider).RecordBatch();
        }

        foreach (var item in items)
        {
            TestRun.Find(item.Item.Run)?.For(Provider).Record(queue, item.Token.SequenceNumber, item.Item);
        }
    }

    private sealed class Observer(TestConsumerGrain grain) : IAsyncBatchObserver<TestEvent>
    {
        public Task OnNextAsync(IList<SequentialItem<TestEvent>> items) => grain.OnBatchAsync(items);

        public Task OnCompletedAsync() => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }
}

[ImplicitStreamSubscription(TestNamespaces.Persist)]
public sealed class PersistConsumerGrain : TestConsumerGrain, IPersistConsumerGrain
{
    protected override string Provider => "persist";
}

[ImplicitStreamSubscription(TestNamespaces.Push)]
public sealed class PushConsumerGrain : TestConsumerGrain, IPushConsumerGrain
{
    protected override string Provider => "push";
}
