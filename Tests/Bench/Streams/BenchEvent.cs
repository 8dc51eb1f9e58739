namespace ChatCluster.Bench.Streams;

/// <summary>What the stream bench publishes: who, which one, and when (<see cref="System.Diagnostics.Stopwatch"/> ticks) for the delivery latency.</summary>
[GenerateSerializer, Immutable, Alias("bench.StreamEvent")]
public sealed record BenchEvent([property: Id(0)] int Publisher, [property: Id(1)] long Seq, [property: Id(2)] long PublishedAt);
