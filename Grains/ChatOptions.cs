namespace ChatCluster.Grains;

/// <summary>Settings of the chat grains: configuration section <c>ChatCluster:Chat</c>.</summary>
public sealed class ChatOptions
{
    public const string Section = "ChatCluster:Chat";

    /// <summary>
    /// Sequence numbers reserved per state write (WeChat seqsvr style). After a crash at most this many
    /// numbers of a timeline are skipped; a graceful shutdown skips none.
    /// </summary>
    public int SequenceStep { get; set; } = 1000;

    /// <summary>Messages per timeline kept in the grain's memory; sync reads older ones from the store.</summary>
    public int RecentMessages { get; set; } = 1000;

    /// <summary>Client message ids per timeline remembered for de-duplication within one activation.</summary>
    public int DedupeWindow { get; set; } = 100_000;

    /// <summary>Most members a group may have.</summary>
    public int MaxGroupMembers { get; set; } = 10_000;

    public IEnumerable<string> Validate()
    {
        if (SequenceStep is < 1 or > 1_000_000)
        {
            yield return $"{Section}:SequenceStep is {SequenceStep}; it must be between 1 and 1000000.";
        }

        if (RecentMessages is < 1 or > 1_000_000)
        {
            yield return $"{Section}:RecentMessages is {RecentMessages}; it must be between 1 and 1000000.";
        }

        if (DedupeWindow < RecentMessages)
        {
            yield return $"{Section}:DedupeWindow is {DedupeWindow}; it must be at least RecentMessages ({RecentMessages}).";
        }

        if (MaxGroupMembers is < 1 or > 1_000_000)
        {
            yield return $"{Section}:MaxGroupMembers is {MaxGroupMembers}; it must be between 1 and 1000000.";
        }
    }
}
