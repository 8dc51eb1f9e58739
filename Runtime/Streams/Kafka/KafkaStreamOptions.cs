using System.Globalization;
using ChatCluster.Runtime.Hosting;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Kafka;

/// <summary>
/// Settings of the Kafka stream provider (<see cref="KafkaStreamProvider"/>): configuration section <c>ChatCluster:Kafka</c>.
/// </summary>
public sealed class KafkaStreamOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Kafka";

    /// <summary>Longest topic prefix: Kafka topic names have at most 249 characters, and the namespace follows it.</summary>
    public const int MaxTopicPrefixLength = 100;

    /// <summary>The brokers to start from, <c>host:port</c> separated by commas (Kafka's <c>bootstrap.servers</c>).</summary>
    public string BootstrapServers { get; set; } = "127.0.0.1:9092";

    /// <summary>
    /// Topics are <c>{TopicPrefix}.{namespace}</c> and consumer groups <c>{TopicPrefix}.{handler group}</c>. Letters,
    /// digits, '-' and '_' (no '.': every topic <c>{TopicPrefix}.…</c> then belongs to this prefix, so one prefix never
    /// nests inside another).
    /// </summary>
    public string TopicPrefix { get; set; } = "chatcluster";

    /// <summary>
    /// Partitions of every namespace's topic (1 to 1024). Stream ids hash to partitions, so every process must use the
    /// same count, for good: a topic that exists with another count is refused.
    /// </summary>
    public int Partitions { get; set; } = 8;

    /// <summary>Replicas of each partition when the provider creates a topic (at most the number of brokers; 3 in production).</summary>
    public int ReplicationFactor { get; set; } = 1;

    /// <summary>
    /// How long the producer tries to deliver an append (Kafka's <c>message.timeout.ms</c>) before the append fails with
    /// <see cref="StorageUnavailableException"/>.
    /// </summary>
    public TimeSpan MessageTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a request to the brokers may take: topic creation and description, offsets, commits, metadata.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How the clients talk to the brokers (Kafka's <c>security.protocol</c>); unset: plaintext.</summary>
    public SecurityProtocol? SecurityProtocol { get; set; }

    /// <summary>The SASL mechanism (Kafka's <c>sasl.mechanism</c>) when <see cref="SaslUsername"/> is set; unset: PLAIN.</summary>
    public SaslMechanism? SaslMechanism { get; set; }

    /// <summary>The SASL user name, or null for no SASL.</summary>
    public string? SaslUsername { get; set; }

    /// <summary>The SASL password. A secret: pass it by environment; it is never logged nor part of a message.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>Reads and checks the section <see cref="Section"/> of <paramref name="configuration"/>, then <paramref name="configure"/>.</summary>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static KafkaStreamOptions Read(IConfiguration? configuration, Action<KafkaStreamOptions>? configure = null) =>
        CheckedSettings.Read(configuration, Section, configure, o => o.Validate());

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!ValidBootstrapServers(BootstrapServers))
        {
            yield return $"{Section}:{nameof(BootstrapServers)} is \"{BootstrapServers}\"; it must be host:port pairs separated by commas (e.g. \"kafka-1:9092,kafka-2:9092\").";
        }

        if (string.IsNullOrEmpty(TopicPrefix) || TopicPrefix.Length > MaxTopicPrefixLength || !TopicPrefix.All(IsPrefixChar))
        {
            yield return $"{Section}:{nameof(TopicPrefix)} is \"{TopicPrefix}\"; it must be 1 to {MaxTopicPrefixLength} letters, digits, '-' or '_' (e.g. \"chatcluster\").";
        }

        if (Partitions is < 1 or > StreamIds.MaxPartitions)
        {
            yield return $"{Section}:{nameof(Partitions)} is {Partitions}; it must be between 1 and {StreamIds.MaxPartitions}.";
        }

        if (ReplicationFactor is < 1 or > short.MaxValue)
        {
            yield return $"{Section}:{nameof(ReplicationFactor)} is {ReplicationFactor}; it must be at least 1 (and at most the number of brokers).";
        }

        if (MessageTimeout < TimeSpan.FromMilliseconds(100) || MessageTimeout > TimeSpan.FromDays(1))
        {
            yield return $"{Section}:{nameof(MessageTimeout)} is {MessageTimeout}; it must be between 00:00:00.1 and 1.00:00:00.";
        }

        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromHours(1))
        {
            yield return $"{Section}:{nameof(RequestTimeout)} is {RequestTimeout}; it must be between 00:00:00.1 and 01:00:00.";
        }

        if (SecurityProtocol is { } protocol && !Enum.IsDefined(protocol))
        {
            yield return $"{Section}:{nameof(SecurityProtocol)} is '{protocol}'; it must be one of {string.Join(", ", Enum.GetNames<SecurityProtocol>())}.";
        }

        if (SaslMechanism is { } mechanism && !Enum.IsDefined(mechanism))
        {
            yield return $"{Section}:{nameof(SaslMechanism)} is '{mechanism}'; it must be one of {string.Join(", ", Enum.GetNames<SaslMechanism>())}.";
        }

        var sasl = SecurityProtocol is Confluent.Kafka.SecurityProtocol.SaslPlaintext or Confluent.Kafka.SecurityProtocol.SaslSsl;
        if (string.IsNullOrEmpty(SaslUsername) != string.IsNullOrEmpty(SaslPassword))
        {
            // Never the password's value, only whether it is there.
            yield return $"{Section}:{nameof(SaslUsername)} and {Section}:{nameof(SaslPassword)} go together: set both or neither.";
        }
        else if (!string.IsNullOrEmpty(SaslUsername) && !sasl)
        {
            yield return $"{Section}:{nameof(SecurityProtocol)} must be SaslPlaintext or SaslSsl when {Section}:{nameof(SaslUsername)} is set.";
        }
        else if (string.IsNullOrEmpty(SaslUsername) && sasl && SaslMechanism is not (Confluent.Kafka.SaslMechanism.Gssapi or Confluent.Kafka.SaslMechanism.OAuthBearer))
        {
            yield return $"{Section}:{nameof(SaslUsername)} and {Section}:{nameof(SaslPassword)} must be set when {Section}:{nameof(SecurityProtocol)} is {SecurityProtocol}.";
        }
    }

    /// <summary>The settings, without the SASL password.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"bootstrap servers '{BootstrapServers}', topic prefix '{TopicPrefix}', {Partitions} partitions, replication factor {ReplicationFactor}{(SaslUsername is null ? "" : $", SASL user '{SaslUsername}'")}");

    private static bool IsPrefixChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static bool ValidBootstrapServers(string? servers)
    {
        if (string.IsNullOrWhiteSpace(servers))
        {
            return false;
        }

        foreach (var server in servers.Split(','))
        {
            var entry = server.Trim();
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || entry.Any(char.IsWhiteSpace)
                || !int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                return false;
            }
        }

        return true;
    }
}
