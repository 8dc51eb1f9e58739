using System.Globalization;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>The names of the keys the Redis Streams provider uses under its prefix.</summary>
internal sealed class RedisStreamKeys(string prefix)
{
    /// <summary>The stream of one partition of a namespace.</summary>
    public string Stream(string streamNamespace, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}:stream:{streamNamespace}:{partition}");

    /// <summary>The hash of one partition's checkpoints: field = handler group, value = last acknowledged entry id.</summary>
    public string Checkpoints(string streamNamespace, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}:checkpoints:{streamNamespace}:{partition}");

    /// <summary>The partition count the first process stored; every later one must match it.</summary>
    public string PartitionCount => $"{prefix}:streams:partitions";
}
