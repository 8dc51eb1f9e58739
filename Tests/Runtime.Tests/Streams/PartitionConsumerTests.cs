using ChatCluster.Runtime.Streams.Memory;
using static ChatCluster.Runtime.Tests.Streams.StreamTesting;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>The consumer loop rides out provider failures: it never stops, and loses nothing.</summary>
public sealed class PartitionConsumerTests
{
    [Fact(Timeout = 30_000)]
    public async Task Failed_reads_and_acknowledgements_are_retried_from_the_checkpoint_and_nothing_is_lost()
    {
        var memory = new MemoryStreamProvider(2);
        var flaky = new FlakyStreamProvider(memory, failReads: 2, failAcknowledgements: 2);
        var handler = new RecordingHandler();
        await using var silo = await StartSiloAsync(flaky, b => b.AddRecordingHandler(handler, "orders", "projector", o => o.BatchSize = 4));
        var publisher = new StreamPublisher(memory);

        for (var seq = 1; seq <= 40; seq++)
        {
            await publisher.PublishAsync(new StreamId("orders", $"o{seq % 5}"), new TestEvent($"o{seq % 5}", seq));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var barrier = new StreamBarrier(memory);
        for (var key = 0; key < 5; key++)
        {
            await barrier.WaitHandledAsync("projector", new StreamId("orders", $"o{key}"), timeout.Token);
        }

        Assert.Equal(4, flaky.ReadFailures);          // two per partition
        Assert.Equal(4, flaky.AcknowledgementFailures);
        Assert.Equal(Enumerable.Range(1, 40), handler.Handled.Select(e => e.Event.Seq).Distinct().Order());
        Assert.True(handler.HandledCount > 40, "batches whose acknowledgement failed are delivered again");
        foreach (var stream in handler.Handled.GroupBy(e => e.Stream))
        {
            // Per stream id, a redelivery starts over from the checkpoint, so what follows is in order again.
            var seqs = stream.Select(e => e.Event.Seq).Distinct().ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_handler_whose_storage_is_unavailable_is_retried_past_max_attempts_and_nothing_is_dead_lettered()
    {
        var memory = new MemoryStreamProvider(1);
        var failures = 0;
        var handler = new RecordingHandler
        {
            Behavior = (_, _) => Interlocked.Increment(ref failures) <= 8
                ? throw new StorageUnavailableException("the database is down (test)")
                : Task.CompletedTask,
        };
        await using var silo = await StartSiloAsync(memory, b => b.AddRecordingHandler(handler, "orders", "projector", o =>
        {
            o.MaxAttempts = 2;
            o.InitialBackoff = TimeSpan.FromMilliseconds(1);
            o.MaxBackoff = TimeSpan.FromMilliseconds(20);
        }));
        var publisher = new StreamPublisher(memory);
        var stream = new StreamId("orders", "o1");
        await publisher.PublishAsync(stream, new TestEvent("o1", 1));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await new StreamBarrier(memory).WaitHandledAsync("projector", stream, timeout.Token);

        Assert.True(failures > 8, $"the handler ran {failures} times");
        Assert.Contains(handler.Handled, e => e.Event.Seq == 1);
        Assert.Empty(await ReadAllAsync(memory, DeadLetteredEvent.NamespaceOf("projector"))); // 8 failures > MaxAttempts 2, none dead-lettered
    }
}
