using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary><c>read</c>: moves the caller's read cursor of a timeline forward to <see cref="Seq"/>.</summary>
public sealed record ReadFrame(string? Id, Timeline Timeline, long Seq) : ClientFrame(Id);
