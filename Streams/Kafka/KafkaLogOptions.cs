using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace ChatCluster.Streams;

/// <summary>
/// The options of a Kafka message log: the brokers, the topic and its shape, the producer's limits, and the
/// clients' security. Every silo of a cluster must use the same topic and queue count.
/// </summary>
public sealed partial class KafkaLogOptions
{
    /// <summary>The brokers to bootstrap from, <c>host:port</c> separated by commas. Required.</summary>
    public string BootstrapServers { get; set; } = string.Empty;

    /// <summary>The log's topic. Its dead letters go to <c>{Topic}-dead-letters</c>; reader <c>r</c> is consumer group <c>{Topic}-r</c>.</summary>
    public string Topic { get; set; } = "chatcluster-log";

    /// <summary>
    /// The Orleans queues, one per partition of the topic: the partitions it is created with, and the count an existing
    /// topic must have (a topic with another count stops the silo's start). Fixed once the log holds records.
    /// </summary>
    public int Queues { get; set; } = 8;

    /// <summary>The replication factor the topics are created with (Kafka's <c>replication.factor</c>).</summary>
    public short ReplicationFactor { get; set; } = 3;

    /// <summary>The topics' <c>min.insync.replicas</c> when created: with <c>acks=all</c>, an append is acked once this many replicas have it.</summary>
    public int MinInSyncReplicas { get; set; } = 2;

    /// <summary>How long the topic keeps records (<c>retention.ms</c>, when created); a reader that falls further behind loses records.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long an append may wait for its acks before it fails (the producer's <c>message.timeout.ms</c>).</summary>
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the producer holds an append to batch it with others (<c>linger.ms</c>). 5 ms, Kafka's own default
    /// since 4.0: an ack waits at most that much longer, and the topic gets fewer, larger record batches.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How long a reader's fetch may wait at the broker for new records (<c>fetch.wait.max.ms</c>). A Kafka broker answers
    /// as soon as records arrive, so this bounds how often an idle reader asks, not the latency; librdkafka's mock cluster
    /// (the test broker) waits it out instead, so there it is the delivery latency of an idle log: set it low there.
    /// </summary>
    public TimeSpan FetchWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a metadata, offset or commit request to the brokers may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How the clients talk to the brokers (<c>security.protocol</c>); plaintext by default.</summary>
    public SecurityProtocol SecurityProtocol { get; set; } = SecurityProtocol.Plaintext;

    /// <summary>The SASL mechanism, with <see cref="SecurityProtocol.SaslPlaintext"/> or <see cref="SecurityProtocol.SaslSsl"/>.</summary>
    public SaslMechanism? SaslMechanism { get; set; }

    /// <summary>The SASL user name.</summary>
    public string? SaslUsername { get; set; }

    /// <summary>The SASL password: from the environment or a secret store, never from a file in the repository; never logged.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>The CA certificates (PEM file) the brokers' TLS certificates are checked against; the system's when not set.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>The topic of the records a reader could not decode.</summary>
    public string DeadLetterTopic => $"{Topic}-dead-letters";

    /// <summary>The consumer group of reader provider <paramref name="readerProvider"/>.</summary>
    public string GroupOf(string readerProvider) => $"{Topic}-{readerProvider}";

    /// <summary>What is wrong with these options, each message naming the setting; empty when they are valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(BootstrapServers))
        {
            yield return $"{nameof(BootstrapServers)} is required (host:port of one or more brokers, separated by commas).";
        }

        // Kafka's own rule for topic names, with room for the dead-letter topic's suffix.
        if (string.IsNullOrEmpty(Topic) || Topic.Length > 230 || !TopicName().IsMatch(Topic))
        {
            yield return $"{nameof(Topic)} '{Topic}' is not a Kafka topic name: 1 to 230 of the characters a-z, A-Z, 0-9, '.', '_' and '-'.";
        }

        if (Queues is < 1 or > 1024)
        {
            yield return $"{nameof(Queues)} is {Queues}; it must be between 1 and 1024.";
        }

        if (ReplicationFactor < 1)
        {
            yield return $"{nameof(ReplicationFactor)} is {ReplicationFactor}; it must be at least 1.";
        }

        if (MinInSyncReplicas < 1 || MinInSyncReplicas > ReplicationFactor)
        {
            yield return $"{nameof(MinInSyncReplicas)} is {MinInSyncReplicas}; it must be between 1 and {nameof(ReplicationFactor)} ({ReplicationFactor}).";
        }

        foreach (var (name, value, min) in new[]
        {
            (nameof(Retention), Retention, TimeSpan.FromMinutes(1)),
            (nameof(AppendTimeout), AppendTimeout, TimeSpan.FromMilliseconds(100)),
            (nameof(RequestTimeout), RequestTimeout, TimeSpan.FromMilliseconds(100)),
        })
        {
            if (value < min)
            {
                yield return $"{name} is {value}; it must be at least {min}.";
            }
        }

        if (FetchWait < TimeSpan.FromMilliseconds(1) || FetchWait > TimeSpan.FromSeconds(5))
        {
            yield return $"{nameof(FetchWait)} is {FetchWait}; it must be between 1 ms and 5 seconds.";
        }

        if (Linger < TimeSpan.Zero || Linger > TimeSpan.FromSeconds(1))
        {
            yield return $"{nameof(Linger)} is {Linger}; it must be between 0 and 1 second.";
        }

        if (!Enum.IsDefined(SecurityProtocol))
        {
            yield return $"{nameof(SecurityProtocol)} is '{SecurityProtocol}'; it must be one of {string.Join(", ", Enum.GetNames<SecurityProtocol>())}.";
        }

        var sasl = SecurityProtocol is SecurityProtocol.SaslPlaintext or SecurityProtocol.SaslSsl;
        if (sasl && SaslMechanism is null)
        {
            yield return $"{nameof(SaslMechanism)} is required with {nameof(SecurityProtocol)} {SecurityProtocol}.";
        }

        if (sasl && SaslMechanism is Confluent.Kafka.SaslMechanism.Plain or Confluent.Kafka.SaslMechanism.ScramSha256 or Confluent.Kafka.SaslMechanism.ScramSha512
            && (string.IsNullOrEmpty(SaslUsername) || string.IsNullOrEmpty(SaslPassword)))
        {
            yield return $"{nameof(SaslUsername)} and {nameof(SaslPassword)} are required with SASL mechanism {SaslMechanism}.";
        }

        if (!sasl && (SaslMechanism is not null || !string.IsNullOrEmpty(SaslUsername) || !string.IsNullOrEmpty(SaslPassword)))
        {
            yield return $"{nameof(SaslMechanism)}, {nameof(SaslUsername)} or {nameof(SaslPassword)} is set, but {nameof(SecurityProtocol)} is {SecurityProtocol}: use SaslPlaintext or SaslSsl, or remove them.";
        }
    }

    /// <summary>The settings every client of the log shares: the brokers and the security.</summary>
    internal T Apply<T>(T config)
        where T : ClientConfig
    {
        config.BootstrapServers = BootstrapServers;
        config.SecurityProtocol = SecurityProtocol;
        config.SaslMechanism = SaslMechanism;
        config.SaslUsername = SaslUsername;
        config.SaslPassword = SaslPassword;
        config.SslCaLocation = SslCaLocation;
        config.SocketTimeoutMs = (int)RequestTimeout.TotalMilliseconds;
        return config;
    }

    [GeneratedRegex("^[a-zA-Z0-9._-]+$")]
    private static partial Regex TopicName();
}
