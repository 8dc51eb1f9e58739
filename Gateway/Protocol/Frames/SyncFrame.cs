using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary><c>sync</c>: the messages of a timeline after <see cref="AfterSeq"/>, at most <see cref="Limit"/> of them.</summary>
public sealed record SyncFrame(string? Id, Timeline Timeline, long AfterSeq, int Limit = SyncFrame.DefaultLimit) : ClientFrame(Id)
{
    /// <summary>The page size when the client gives none.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest page a client may ask for.</summary>
    public const int MaxLimit = 500;
}
