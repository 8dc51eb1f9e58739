namespace ChatCluster.Grains.Groups;

/// <summary>What a group grain stores: whether it exists, its owner and members, and its timeline's sequence bound.</summary>
public sealed class GroupState
{
    public bool Exists { get; set; }

    public string Owner { get; set; } = "";

    /// <summary>Members in the order they joined.</summary>
    public List<string> Members { get; set; } = [];

    public long SeqLimit { get; set; }
}
