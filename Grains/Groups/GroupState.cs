namespace ChatCluster.Grains.Groups;

/// <summary>What a group grain stores: whether it exists, its owner and members, and its timeline's sequence bound.</summary>
[GenerateSerializer, Alias("chat.GroupState")]
public sealed class GroupState
{
    [Id(0)]
    public bool Exists { get; set; }

    [Id(1)]
    public string Owner { get; set; } = "";

    /// <summary>Members in the order they joined.</summary>
    [Id(2)]
    public List<string> Members { get; set; } = [];

    [Id(3)]
    public long SeqLimit { get; set; }
}
