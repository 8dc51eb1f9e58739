namespace ChatCluster.Bench.Streams;

[Alias("bench.IFirstGroupConsumerGrain")]
public interface IFirstGroupConsumerGrain : IGrainWithStringKey;

/// <summary>The first consumer group's consumer of a partition (in the chat: persistence).</summary>
[ImplicitStreamSubscription(StreamBench.FirstNamespace)]
internal sealed class FirstGroupConsumerGrain(DeliveryCounters counters) : CountingConsumerGrain(counters.First), IFirstGroupConsumerGrain;
