namespace ChatCluster.Bench.Streams;

[Alias("bench.ISecondGroupConsumerGrain")]
public interface ISecondGroupConsumerGrain : IGrainWithStringKey;

/// <summary>The second consumer group's consumer of a partition (in the chat: push).</summary>
[ImplicitStreamSubscription(StreamBench.SecondNamespace)]
internal sealed class SecondGroupConsumerGrain(DeliveryCounters counters) : CountingConsumerGrain(counters.Second), ISecondGroupConsumerGrain;
