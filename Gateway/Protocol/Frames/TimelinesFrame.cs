namespace ChatCluster.Gateway.Protocol;

/// <summary><c>timelines</c>: the caller's timelines with their last seq and read cursor.</summary>
public sealed record TimelinesFrame(string? Id) : ClientFrame(Id);
