namespace ChatCluster.Runtime.Streams;

/// <summary>Argument checks shared by the providers, so every provider refuses the same bad input the same way.</summary>
internal static class StreamIds
{
    public const int MaxPartitions = 1024;

    public static void Validate(StreamId stream, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(stream.Namespace))
        {
            throw new ArgumentException($"A stream id needs a namespace; got '{stream.Namespace}' (key '{stream.Key}').", parameterName);
        }

        if (string.IsNullOrEmpty(stream.Key))
        {
            throw new ArgumentException($"A stream id needs a key; the key in namespace '{stream.Namespace}' is empty.", parameterName);
        }
    }

    public static void ValidatePartition(string streamNamespace, int partition, int partitions)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        if (partition < 0 || partition >= partitions)
        {
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"A partition of '{streamNamespace}' is 0 to {partitions - 1}.");
        }
    }

    public static void ValidatePartitionCount(int partitions)
    {
        if (partitions is < 1 or > MaxPartitions)
        {
            throw new ArgumentOutOfRangeException(nameof(partitions), partitions, $"The number of stream partitions must be between 1 and {MaxPartitions}.");
        }
    }
}
