namespace ChatCluster.Runtime;

/// <summary>How one handler group consumes its namespace.</summary>
public sealed class StreamHandlerOptions
{
    /// <summary>Most events handed to the handler at once.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Attempts of one batch before its events are dead-lettered (1 = no retry).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one read waits for new events before polling again.</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromMilliseconds(500);
}
