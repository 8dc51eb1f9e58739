using System.Globalization;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>
/// Settings of the Redis Streams provider: configuration section <c>ChatCluster:Streams</c> (the Redis
/// server itself comes from <c>ChatCluster:Redis</c>, <see cref="ChatCluster.Runtime.Redis.RedisOptions"/>).
/// </summary>
public sealed class RedisStreamOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Streams";

    /// <summary>Partitions of every namespace (1 to 1024). Stream ids hash to partitions, so every process must use the same count, for good.</summary>
    public int Partitions { get; set; } = 8;

    /// <summary>Prefix of every key the provider writes (<c>{KeyPrefix}:stream:{namespace}:{partition}</c>, …). Letters, digits, '-', '_', '.' and ':'.</summary>
    public string KeyPrefix { get; set; } = "chatcluster";

    /// <summary>
    /// This process's consumer name in every consumer group. When a reader opens a partition it claims the
    /// group's pending entries of every other consumer name, so each process needs its own (the silo address;
    /// default: host name and process id).
    /// </summary>
    public string ConsumerName { get; set; } = DefaultConsumerName();

    /// <summary>Most pending entries one XAUTOCLAIM moves to this consumer when a reader opens a partition (it repeats until none are left).</summary>
    public int ClaimBatchSize { get; set; } = 1000;

    /// <summary>
    /// An entry that another consumer of the group read and has not acknowledged for this long is taken over by the
    /// partition's reader, which looks for such entries once per this time while it has nothing in hand. They are left
    /// behind when a partition changes owner under a consumer that is paused, cut off or slow to stop.
    /// </summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often at most a reader trims its partition (XTRIM MINID to the lowest checkpoint of the partition's
    /// consumer groups) after an acknowledgement; the first time one interval after the reader opened. Zero trims after every acknowledgement.
    /// </summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The Redis hash of the cluster's membership entries (<c>chatcluster:{ClusterId}:members</c>, on the same server),
    /// or null outside a cluster. When set, an append made on behalf of a silo incarnation (a grain's publish) is
    /// refused, in the same script as its XADD, unless that incarnation is listed there and not dead: a grain left on a
    /// silo the cluster declared dead cannot publish beside its new activation. Cluster mode sets it.
    /// </summary>
    public string? MembershipKey { get; set; }

    /// <summary>Reads and checks the section <see cref="Section"/> of <paramref name="configuration"/>, then <paramref name="configure"/>.</summary>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static RedisStreamOptions Read(IConfiguration? configuration, Action<RedisStreamOptions>? configure = null) =>
        CheckedSettings.Read(configuration, Section, configure, o => o.Validate());

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (Partitions is < 1 or > StreamIds.MaxPartitions)
        {
            yield return $"{Section}:{nameof(Partitions)} is {Partitions}; it must be between 1 and {StreamIds.MaxPartitions}.";
        }

        if (string.IsNullOrEmpty(KeyPrefix) || !KeyPrefix.All(IsNameChar))
        {
            yield return $"{Section}:{nameof(KeyPrefix)} is \"{KeyPrefix}\"; it must be letters, digits, '-', '_', '.' or ':' (e.g. \"chatcluster\").";
        }

        if (string.IsNullOrEmpty(ConsumerName) || ConsumerName.Any(char.IsWhiteSpace))
        {
            yield return $"{Section}:{nameof(ConsumerName)} is \"{ConsumerName}\"; it must be non-empty without spaces (e.g. the silo address).";
        }

        if (MembershipKey is not null && (MembershipKey.Length == 0 || MembershipKey.Any(char.IsWhiteSpace)))
        {
            yield return $"{Section}:{nameof(MembershipKey)} is \"{MembershipKey}\"; it must be a Redis key without spaces (e.g. \"chatcluster:{{default}}:members\") or unset.";
        }

        if (ClaimBatchSize is < 1 or > 100_000)
        {
            yield return $"{Section}:{nameof(ClaimBatchSize)} is {ClaimBatchSize}; it must be between 1 and 100000.";
        }

        if (ClaimIdleTime < TimeSpan.FromMilliseconds(100) || ClaimIdleTime > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:{nameof(ClaimIdleTime)} is {ClaimIdleTime}; it must be between 00:00:00.1 and 1.00:00:00.";
        }

        if (TrimInterval < TimeSpan.Zero || TrimInterval > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:{nameof(TrimInterval)} is {TrimInterval}; it must be between 00:00:00 and 1.00:00:00.";
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Partitions} partitions, key prefix '{KeyPrefix}', consumer '{ConsumerName}'");

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':';

    private static string DefaultConsumerName() =>
        string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}");
}
