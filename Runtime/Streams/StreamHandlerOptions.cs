namespace ChatCluster.Runtime;

/// <summary>How one handler group consumes its namespace.</summary>
public sealed class StreamHandlerOptions
{
    /// <summary>Most events handed to the handler at once.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>
    /// Attempts of one batch before its events are dead-lettered (1 = no retry). A handler that throws
    /// <see cref="StorageUnavailableException"/> (its database is down) is retried without limit instead: that failure
    /// is not the events' fault.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubles per attempt up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one read waits for new events before polling again.</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Checks every value; returns one message per bad setting, naming it.</summary>
    public IEnumerable<string> Validate()
    {
        if (BatchSize < 1)
        {
            yield return $"{nameof(BatchSize)} is {BatchSize}; it must be at least 1.";
        }

        if (MaxAttempts < 1)
        {
            yield return $"{nameof(MaxAttempts)} is {MaxAttempts}; it must be at least 1 (1 = no retry).";
        }

        if (InitialBackoff < TimeSpan.Zero)
        {
            yield return $"{nameof(InitialBackoff)} is {InitialBackoff}; it must not be negative.";
        }

        if (MaxBackoff < InitialBackoff || MaxBackoff > TimeSpan.FromDays(1))
        {
            yield return $"{nameof(MaxBackoff)} is {MaxBackoff}; it must be between {nameof(InitialBackoff)} ({InitialBackoff}) and 1.00:00:00.";
        }

        if (PollWait <= TimeSpan.Zero || PollWait > TimeSpan.FromMinutes(10))
        {
            yield return $"{nameof(PollWait)} is {PollWait}; it must be more than 0 and at most 00:10:00.";
        }
    }
}
