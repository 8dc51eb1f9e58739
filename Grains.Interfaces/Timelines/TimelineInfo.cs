namespace ChatCluster.Grains;

/// <summary>One entry of PROTOCOL.md <c>timelines</c>: a timeline, its last seq and the caller's read cursor.</summary>
[GenerateSerializer, Immutable, Alias("chat.TimelineInfo")]
public sealed record TimelineInfo(string Timeline, long LastSeq, long ReadSeq);
