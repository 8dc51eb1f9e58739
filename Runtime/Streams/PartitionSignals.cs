using System.Collections.Concurrent;

namespace ChatCluster.Runtime.Streams;

/// <summary>The <see cref="PartitionSignal"/> of every (namespace, partition) a provider has touched, made on first use.</summary>
internal sealed class PartitionSignals
{
    private readonly ConcurrentDictionary<(string Namespace, int Partition), PartitionSignal> signals = new();

    public PartitionSignal Of(string streamNamespace, int partition) =>
        signals.GetOrAdd((streamNamespace, partition), static _ => new PartitionSignal());
}
