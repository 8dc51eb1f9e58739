namespace ChatCluster.Bench.GrainStorage;

/// <summary>
/// The small state each bench grain writes, shaped like a chat grain's: a counter, a string and a short list
/// (the last <see cref="RecentCount"/> message ids).
/// </summary>
[GenerateSerializer]
[Alias("bench.WriterState")]
public sealed class WriterState
{
    /// <summary>How many message ids <see cref="RecentMessageIds"/> keeps.</summary>
    public const int RecentCount = 5;

    /// <summary>Messages recorded so far.</summary>
    [Id(0)]
    public int Counter { get; set; }

    /// <summary>The text of the last message recorded.</summary>
    [Id(1)]
    public string LastMessage { get; set; } = "";

    /// <summary>The ids of the last <see cref="RecentCount"/> messages, oldest first.</summary>
    [Id(2)]
    public List<string> RecentMessageIds { get; set; } = [];
}
