using System.Collections.Concurrent;
using System.Reflection;
using Confluent.Kafka;

namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>
/// A consumer that fetches nothing and keeps only what a group consumer asks of it: the partitions paused, as librdkafka
/// does (a resume of a partition not paused does nothing). Made with <see cref="Create"/>; the rest of the interface throws.
/// </summary>
public class FakeConsumer : DispatchProxy
{
    private readonly ConcurrentDictionary<int, bool> paused = new();

    /// <summary>Whether <paramref name="partition"/> is paused now.</summary>
    public bool IsPaused(int partition) => paused.ContainsKey(partition);

    public static (IConsumer<byte[], byte[]> Consumer, FakeConsumer Fake) Create()
    {
        var consumer = Create<IConsumer<byte[], byte[]>, FakeConsumer>();
        return (consumer, (FakeConsumer)(object)consumer);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod?.Name)
        {
            case nameof(IConsumer<byte[], byte[]>.Consume):
                Thread.Sleep(1);
                return null;
            case nameof(IConsumer<byte[], byte[]>.Pause):
                foreach (var partition in (IEnumerable<TopicPartition>)args![0]!)
                {
                    paused[partition.Partition.Value] = true;
                }

                return null;
            case nameof(IConsumer<byte[], byte[]>.Resume):
                foreach (var partition in (IEnumerable<TopicPartition>)args![0]!)
                {
                    paused.TryRemove(partition.Partition.Value, out _);
                }

                return null;
            case nameof(IConsumer<byte[], byte[]>.IncrementalAssign):
            case nameof(IConsumer<byte[], byte[]>.IncrementalUnassign):
            case nameof(IConsumer<byte[], byte[]>.Close):
            case nameof(IDisposable.Dispose):
                return null;
            default:
                throw new NotSupportedException($"The fake consumer does not do {targetMethod?.Name}.");
        }
    }
}
