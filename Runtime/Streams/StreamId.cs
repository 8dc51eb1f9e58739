namespace ChatCluster.Runtime;

/// <summary>
/// One ordered stream of events, e.g. namespace <c>timeline</c>, key <c>user:alice</c>. Events of one
/// stream id are delivered to each handler group in the order they were published. A namespace is
/// split into a fixed number of partitions; a stream id always hashes to the same partition.
/// </summary>
public readonly record struct StreamId(string Namespace, string Key)
{
    /// <inheritdoc />
    public override string ToString() => $"{Namespace}/{Key}";

    /// <summary>The partition of this stream id among <paramref name="partitions"/> (a stable hash, FNV-1a of the key).</summary>
    public int PartitionOf(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var hash = 2166136261u;
        foreach (var c in Key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)partitions);
    }
}
