namespace ChatCluster.Grains.Users;

/// <summary>What a user grain stores: the sequence bound of its timeline, its groups and its read cursors.</summary>
public sealed class UserState
{
    public long SeqLimit { get; set; }

    public HashSet<string> Groups { get; set; } = [];

    /// <summary>Read cursor per timeline name.</summary>
    public Dictionary<string, long> ReadCursors { get; set; } = [];
}
