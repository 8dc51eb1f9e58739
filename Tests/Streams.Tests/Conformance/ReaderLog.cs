namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>What one reader provider's consumers of one run processed.</summary>
public sealed class ReaderLog(string provider)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> nextCounter = [];
    private readonly Dictionary<int, long> processedOffset = [];
    private readonly Dictionary<int, SortedSet<long>> processedOffsets = [];
    private readonly HashSet<(string Stream, int Counter)> distinct = [];
    private readonly Dictionary<string, HashSet<int>> queuesOfStream = [];
    private readonly List<string> gaps = [];
    private readonly List<(long Target, TaskCompletionSource Reached)> waiters = [];
    private long deliveries;
    private long unique;
    private long batches;

    public string Provider { get; } = provider;

    /// <summary>Events processed, duplicates included.</summary>
    public long Deliveries { get { lock (gate) { return deliveries; } } }

    /// <summary>Distinct events processed.</summary>
    public long Unique { get { lock (gate) { return unique; } } }

    /// <summary>Distinct events processed, whatever their order.</summary>
    public long Distinct { get { lock (gate) { return distinct.Count; } } }

    /// <summary>Batches the consumers were handed.</summary>
    public long Batches { get { lock (gate) { return batches; } } }

    /// <summary>Events that arrived before an earlier event of their stream: the order broke.</summary>
    public IReadOnlyList<string> Gaps { get { lock (gate) { return [.. gaps]; } } }

    public void Record(int queue, long offset, TestEvent item)
    {
        lock (gate)
        {
            deliveries++;
            var next = nextCounter.GetValueOrDefault(item.Stream);
            if (item.Counter == next)
            {
                nextCounter[item.Stream] = next + 1;
                unique++;
            }
            else if (item.Counter > next && gaps.Count < 20)
            {
                gaps.Add($"{Provider}: stream {item.Stream} got {item.Counter} before {next}");
            }

            if (!queuesOfStream.TryGetValue(item.Stream, out var queues))
            {
                queuesOfStream[item.Stream] = queues = [];
            }

            queues.Add(queue);
            distinct.Add((item.Stream, item.Counter));
            processedOffset[queue] = Math.Max(processedOffset.GetValueOrDefault(queue), offset);
            if (!processedOffsets.TryGetValue(queue, out var offsets))
            {
                processedOffsets[queue] = offsets = [];
            }

            offsets.Add(offset);
            for (var i = waiters.Count - 1; i >= 0; i--)
            {
                if (unique >= waiters[i].Target)
                {
                    waiters[i].Reached.TrySetResult();
                    waiters.RemoveAt(i);
                }
            }
        }
    }

    public void RecordBatch()
    {
        lock (gate)
        {
            batches++;
        }
    }

    /// <summary>Completes once <paramref name="target"/> distinct events were processed.</summary>
    public Task WhenUniqueAsync(long target)
    {
        lock (gate)
        {
            if (unique >= target)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((target, reached));
            return reached.Task;
        }
    }

    /// <summary>The number of events of <paramref name="stream"/> processed in order from the first (0 to this - 1).</summary>
    public int CountOf(string stream)
    {
        lock (gate)
        {
            return nextCounter.GetValueOrDefault(stream);
        }
    }

    /// <summary>The highest offset of <paramref name="queue"/> whose processing completed, 0 if none.</summary>
    public long ProcessedOffset(int queue)
    {
        lock (gate)
        {
            return processedOffset.GetValueOrDefault(queue);
        }
    }

    /// <summary>
    /// The highest offset n of <paramref name="queue"/> such that the records 1 to n were all processed, 0 if none (for a
    /// log whose every record is one event of this run).
    /// </summary>
    public long ProcessedPrefix(int queue)
    {
        lock (gate)
        {
            long prefix = 0;
            if (processedOffsets.TryGetValue(queue, out var offsets))
            {
                foreach (var offset in offsets)
                {
                    if (offset != prefix + 1)
                    {
                        break;
                    }

                    prefix = offset;
                }
            }

            return prefix;
        }
    }

    /// <summary>The queues (consumer grain keys) the events of <paramref name="stream"/> arrived on.</summary>
    public IReadOnlyCollection<int> QueuesOf(string stream)
    {
        lock (gate)
        {
            return queuesOfStream.TryGetValue(stream, out var queues) ? [.. queues] : [];
        }
    }
}
