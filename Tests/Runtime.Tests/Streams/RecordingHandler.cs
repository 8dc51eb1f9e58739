using System.Collections.Concurrent;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// A stream handler that records every batch it is given and every event it handled. A test sets
/// <see cref="Behavior"/> to slow it down or make it fail; a batch counts as handled only if that returns.
/// </summary>
internal class RecordingHandler : IStreamHandler<TestEvent>
{
    private readonly ConcurrentQueue<StreamEvent<TestEvent>> handled = new();
    private readonly ConcurrentQueue<IReadOnlyList<StreamEvent<TestEvent>>> deliveries = new();

    /// <summary>Runs before a batch is recorded as handled; throw to fail the batch.</summary>
    public Func<IReadOnlyList<StreamEvent<TestEvent>>, CancellationToken, Task>? Behavior { get; set; }

    /// <summary>Every event of every batch that succeeded, in the order handled.</summary>
    public IReadOnlyList<StreamEvent<TestEvent>> Handled => [.. handled];

    /// <summary>Every batch the handler was called with, including failed attempts.</summary>
    public IReadOnlyList<IReadOnlyList<StreamEvent<TestEvent>>> Deliveries => [.. deliveries];

    public int HandledCount => handled.Count;

    public async Task HandleAsync(IReadOnlyList<StreamEvent<TestEvent>> batch, CancellationToken cancellationToken)
    {
        Assert.NotEmpty(batch);
        deliveries.Enqueue([.. batch]);
        if (Behavior is { } behavior)
        {
            await behavior(batch, cancellationToken);
        }

        foreach (var item in batch)
        {
            handled.Enqueue(item);
        }
    }
}

/// <summary>A second handler type, for a second handler group (handlers are singletons by type).</summary>
internal sealed class OtherRecordingHandler : RecordingHandler;
