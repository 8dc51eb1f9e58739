namespace ChatCluster.Grains;

/// <summary>
/// The names of the timeline log in Orleans: grains publish <see cref="TimelineEvent"/>s through the write-only
/// provider <see cref="Provider"/> on namespace <see cref="Namespace"/>, keyed by timeline. Each consumer group is
/// a read-only provider over the same log with its own checkpoints; it delivers every event of one log partition
/// on one stream of its own namespace, keyed by the partition number ("0", "1", …), so one consumer grain per
/// partition gets the partition's events in log order, in batches.
/// </summary>
public static class TimelineStreams
{
    /// <summary>The write-only provider grains publish through.</summary>
    public const string Provider = "log";

    /// <summary>The namespace grains publish on; the stream key is the timeline (<c>user:ID</c>, <c>group:ID</c>).</summary>
    public const string Namespace = "timeline";

    /// <summary>The persistence group: writes every message to the message store.</summary>
    public const string PersistProvider = "persist";

    /// <summary>The namespace the persistence group delivers on (implicit subscription of the persistence grain).</summary>
    public const string PersistNamespace = "timeline-persist";

    /// <summary>The push group: delivers every message to its recipients' connected devices.</summary>
    public const string PushProvider = "push";

    /// <summary>The namespace the push group delivers on (implicit subscription of the push grain).</summary>
    public const string PushNamespace = "timeline-push";
}
