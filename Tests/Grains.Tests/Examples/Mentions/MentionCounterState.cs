namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>What a mention counter stores: the count, and the last seq counted per timeline (to ignore redeliveries).</summary>
[GenerateSerializer, Alias("example.MentionCounterState")]
public sealed class MentionCounterState
{
    [Id(0)]
    public long Count { get; set; }

    [Id(1)]
    public Dictionary<string, long> CountedUpTo { get; set; } = [];
}
