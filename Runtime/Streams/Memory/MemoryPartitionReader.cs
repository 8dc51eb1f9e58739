using System.Diagnostics;

namespace ChatCluster.Runtime.Streams.Memory;

/// <summary>Reads a <see cref="MemoryPartition"/> for one handler group, from after its checkpoint.</summary>
internal sealed class MemoryPartitionReader(MemoryStreamProvider provider, MemoryPartition partition, CheckpointKey key) : IPartitionReader
{
    private long readOffset = provider.GetCheckpoint(key).Low;

    public async Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var appended = partition.Appended.NextAsync();
            var events = partition.ReadAfter(readOffset, maxCount);
            if (events.Length > 0)
            {
                readOffset = events[^1].Position.Low;
                return events;
            }

            var remaining = wait == Timeout.InfiniteTimeSpan ? wait : wait - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero && remaining != Timeout.InfiniteTimeSpan)
            {
                return [];
            }

            await PartitionSignal.WaitAsync(appended, remaining, cancellationToken);
        }
    }

    public Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        provider.SetCheckpoint(key, position);
        return Task.CompletedTask;
    }

    public void Rewind() => readOffset = provider.GetCheckpoint(key).Low;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
