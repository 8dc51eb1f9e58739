namespace ChatCluster.Grains.Users;

/// <summary>What a user grain stores: the sequence bound of its timeline, its groups, its read cursors and its online sessions.</summary>
[GenerateSerializer, Alias("chat.UserState")]
public sealed class UserState
{
    [Id(0)]
    public long SeqLimit { get; set; }

    [Id(1)]
    public HashSet<string> Groups { get; set; } = [];

    /// <summary>Read cursor per timeline name.</summary>
    [Id(2)]
    public Dictionary<string, long> ReadCursors { get; set; } = [];

    /// <summary>
    /// The user's connected devices. Stored, so that pushes still find them after the grain moved to
    /// another silo or was collected; a session its gateway no longer holds is forgotten when a push finds it gone.
    /// </summary>
    [Id(3)]
    public List<Session> Sessions { get; set; } = [];
}
