namespace ChatCluster.Grains.Users;

/// <summary>What a user grain stores: the sequence bound of its timeline, its groups, its read cursors and its online sessions.</summary>
public sealed class UserState
{
    public long SeqLimit { get; set; }

    public HashSet<string> Groups { get; set; } = [];

    /// <summary>Read cursor per timeline name.</summary>
    public Dictionary<string, long> ReadCursors { get; set; } = [];

    /// <summary>
    /// The user's connected devices. Stored, so that pushes still find them after the grain moved to
    /// another silo or was collected; a session its gateway no longer holds is forgotten when a push finds it gone.
    /// </summary>
    public List<Session> Sessions { get; set; } = [];
}
