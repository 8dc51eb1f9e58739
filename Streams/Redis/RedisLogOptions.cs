using StackExchange.Redis;

namespace ChatCluster.Streams;

/// <summary>
/// The Redis Streams message log (cluster mode): one Redis stream per queue, a consumer group per
/// reader provider. Set with <see cref="RedisLogSiloBuilderExtensions.AddRedisLog"/>.
/// </summary>
public sealed class RedisLogOptions
{
    /// <summary>The highest queue count a log may have.</summary>
    public const int MaxQueues = 1024;

    /// <summary>
    /// The StackExchange.Redis configuration string (<c>host:port,password=...</c>). Required. It may
    /// hold a password: it is never logged, nor put in messages.
    /// </summary>
    public string Configuration { get; set; } = "";

    /// <summary>The prefix of every key of the log (<c>{prefix}:log:{queue}</c>, ...); logs with different prefixes share a Redis without meeting.</summary>
    public string KeyPrefix { get; set; } = "chatcluster";

    /// <summary>Queues (partitions) of the log, 1 to 1024; fixed for a prefix once used, as streams hash to queues.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>
    /// How long an entry must have been pending with another consumer of the group (another silo) before the receiver
    /// running on its queue takes it over, every <see cref="ClaimPeriod"/>: an earlier owner that read on after a
    /// forced takeover (<see cref="TakeoverTimeout"/>) may have left some undelivered. Taking an entry its consumer
    /// still holds only delivers it twice. (A receiver starting on a queue takes every entry the others left, however
    /// recently they read it.)
    /// </summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a running receiver looks for entries other consumers left pending (<see cref="ClaimIdleTime"/>).</summary>
    public TimeSpan ClaimPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a receiver waits, at most, for the queue's hold (<see cref="QueueHoldTime"/>) of another consumer of its
    /// group (an earlier owner not yet told it lost the queue, and still reading) before it takes the queue all the same.
    /// Waiting keeps the queue's order when it moves; the earlier owner stops reading new entries at its next renewal,
    /// and what both read meanwhile is delivered at least once, not always in order.
    /// </summary>
    public TimeSpan TakeoverTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a receiver's hold on its queue in its group lasts unless renewed (the key <c>{prefix}:owner:{reader}:{queue}</c>).
    /// Only the holder reads new entries: it renews every quarter of this, before it reads, and lets go when Orleans
    /// stops it. A receiver starting on the queue reads once the earlier owner let go, or its hold lapsed (it died or
    /// stalled this long), or after <see cref="TakeoverTimeout"/>.
    /// </summary>
    public TimeSpan QueueHoldTime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each queue's stream is trimmed to what every reader has acknowledged; <see cref="TimeSpan.Zero"/> keeps everything.</summary>
    public TimeSpan TrimPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often a caught-up receiver asks Redis for new entries when this silo appended nothing new to
    /// its queue (records of other silos); records this silo appends are read at the next poll.
    /// </summary>
    public TimeSpan ExternalPollPeriod { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The most entries one XREADGROUP reads (Orleans' own limit applies when smaller).</summary>
    public int ReadBatchSize { get; set; } = 1024;

    /// <summary>The most entries one XAUTOCLAIM takes over (a receiver repeats it until none is left).</summary>
    public int ClaimBatchSize { get; set; } = 256;

    /// <summary>What is wrong with these options, each message naming the property; empty when they are valid. Never contains the configuration string.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(Configuration)} is required: the StackExchange.Redis configuration string of the log's Redis.";
        }
        else if (ParseError(Configuration) is { } error)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(Configuration)} is not a valid StackExchange.Redis configuration string: {error}";
        }

        if (string.IsNullOrWhiteSpace(KeyPrefix) || KeyPrefix.Any(char.IsWhiteSpace))
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(KeyPrefix)} is required and may not contain white space (was '{KeyPrefix}').";
        }

        if (Queues is < 1 or > MaxQueues)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(Queues)} must be between 1 and {MaxQueues} (was {Queues}).";
        }

        if (ClaimIdleTime < TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(ClaimIdleTime)} cannot be negative (was {ClaimIdleTime}).";
        }

        if (ClaimPeriod <= TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(ClaimPeriod)} must be positive (was {ClaimPeriod}).";
        }

        if (TakeoverTimeout < TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(TakeoverTimeout)} cannot be negative (was {TakeoverTimeout}).";
        }

        if (QueueHoldTime <= TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(QueueHoldTime)} must be positive (was {QueueHoldTime}).";
        }

        if (TrimPeriod < TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(TrimPeriod)} cannot be negative (was {TrimPeriod}); use zero to keep every entry.";
        }

        if (ExternalPollPeriod <= TimeSpan.Zero)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(ExternalPollPeriod)} must be positive (was {ExternalPollPeriod}).";
        }

        if (ReadBatchSize < 1)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(ReadBatchSize)} must be at least 1 (was {ReadBatchSize}).";
        }

        if (ClaimBatchSize < 1)
        {
            yield return $"{nameof(RedisLogOptions)}.{nameof(ClaimBatchSize)} must be at least 1 (was {ClaimBatchSize}).";
        }
    }

    private static string? ParseError(string configuration)
    {
        try
        {
            var parsed = ConfigurationOptions.Parse(configuration);
            return parsed.EndPoints.Count == 0 ? "it names no endpoint." : null;
        }
        catch (ArgumentException)
        {
            // Its message may quote the string, password included.
            return "StackExchange.Redis could not parse it.";
        }
    }
}
