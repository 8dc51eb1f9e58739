namespace ChatCluster.Bench.Streams;

/// <summary>What the stream bench publishes: who, which one, and when (Stopwatch ticks) for the delivery latency.</summary>
public sealed record BenchEvent(int Publisher, long Seq, long PublishedAt);
