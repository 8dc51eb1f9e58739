using System.Text;
using System.Text.Json;
using static ChatCluster.Runtime.Tests.Streams.StreamTesting;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// What every stream provider must do behind <see cref="IStreamProvider"/>, together with the
/// runtime's consumers: per-stream-id order, one delivery per handler group, redelivery, retries
/// and dead letters, resuming from the checkpoint, durability, and the read barrier. Each provider
/// gets a subclass that says how to make a fresh store and how to reopen it ("restart"). The tests are
/// <see cref="ConformanceFactAttribute"/>s: a subclass whose provider needs a server that may be missing (Kafka) marks
/// itself with a <see cref="ConformanceSkipAttribute"/>, and its copies of the suite are then reported skipped.
/// </summary>
public abstract class StreamConformanceTests : IAsyncLifetime
{
    private readonly List<IStreamProvider> opened = [];

    /// <summary>A new, empty store with <paramref name="partitions"/> partitions per namespace (not initialized yet).</summary>
    protected abstract IStreamProvider CreateProvider(int partitions);

    /// <summary>
    /// A provider on the SAME store as <paramref name="provider"/>, as a restarted process would
    /// open it (not initialized yet). Where the store is the provider object itself (memory), the same object.
    /// </summary>
    protected abstract IStreamProvider Reopen(IStreamProvider provider);

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var provider in opened)
        {
            switch (provider)
            {
                case IAsyncDisposable disposable:
                    await disposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task Events_of_each_stream_id_are_handled_in_publish_order_across_interleaved_streams_and_partitions()
    {
        var provider = await FreshAsync(4);
        var handler = new RecordingHandler();
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector", o => o.BatchSize = 7));
        var publisher = new StreamPublisher(provider);
        const int streams = 40, perStream = 50;

        // Every stream publishes in order; the streams interleave with each other.
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async s =>
        {
            for (var seq = 1; seq <= perStream; seq++)
            {
                await publisher.PublishAsync(new StreamId("orders", $"order-{s}"), new TestEvent($"order-{s}", seq));
            }
        }));
        await WaitUntilAsync(() => handler.HandledCount >= streams * perStream, "every event handled");

        var handled = handler.Handled;
        Assert.Equal(streams * perStream, handled.Count);
        Assert.True(handled.Select(e => e.Stream.PartitionOf(4)).Distinct().Count() > 1, "the streams should span several partitions");
        foreach (var stream in handled.GroupBy(e => e.Stream))
        {
            Assert.Equal(Enumerable.Range(1, perStream), stream.Select(e => e.Event.Seq));
            Assert.All(stream, e => Assert.Equal(stream.Key.Key, e.Event.Key));
        }

        foreach (var partition in handled.GroupBy(e => e.Stream.PartitionOf(4)))
        {
            var positions = partition.Select(e => e.Position).ToList();
            Assert.Equal(positions.Order(), positions);
            Assert.Equal(positions.Count, positions.Distinct().Count());
        }
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task Concurrent_appends_get_distinct_rising_positions_and_read_back_in_that_order()
    {
        var provider = await FreshAsync(2);
        const int count = 2_000;

        var positions = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            provider.AppendAsync(new StreamId("burst", $"s{i % 10}"), JsonSerializer.SerializeToUtf8Bytes(new TestEvent($"s{i % 10}", i)), CancellationToken.None)));

        // A position is unique within its partition.
        Assert.Equal(count, positions.Select((position, i) => (new StreamId("burst", $"s{i % 10}").PartitionOf(2), position)).Distinct().Count());
        var read = await ReadAllAsync(provider, "burst");
        Assert.Equal(count, read.Count);
        for (var partition = 0; partition < 2; partition++)
        {
            var inPartition = read.Where(e => e.Stream.PartitionOf(2) == partition).Select(e => e.Position).ToList();
            Assert.Equal(inPartition.Order(), inPartition);
            var end = await provider.GetEndAsync("burst", partition, CancellationToken.None);
            Assert.Equal(inPartition.Max(), end);
        }

        Assert.Equal(positions.Order(), read.Select(e => e.Position).Order());
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task Two_handler_groups_each_see_every_event()
    {
        var provider = await FreshAsync(4);
        var first = new RecordingHandler();
        var second = new OtherRecordingHandler();
        await using var silo = await StartSiloAsync(provider, b => b
            .AddRecordingHandler(first, "chat", "persist")
            .AddRecordingHandler(second, "chat", "push"));
        var publisher = new StreamPublisher(provider);
        var published = Enumerable.Range(0, 300).Select(i => new TestEvent($"room-{i % 17}", i)).ToList();

        foreach (var e in published)
        {
            await publisher.PublishAsync(new StreamId("chat", e.Key), e);
        }

        await WaitUntilAsync(() => first.HandledCount >= published.Count && second.HandledCount >= published.Count, "both groups handled every event");
        Assert.Equal(published.OrderBy(e => e.Seq), first.Handled.Select(e => e.Event).OrderBy(e => e.Seq));
        Assert.Equal(published.OrderBy(e => e.Seq), second.Handled.Select(e => e.Event).OrderBy(e => e.Seq));
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task A_batch_whose_handler_throws_is_delivered_again_and_then_handled()
    {
        var provider = await FreshAsync(2);
        var handler = new RecordingHandler();
        var calls = 0;
        handler.Behavior = (_, _) => Interlocked.Increment(ref calls) == 1
            ? throw new InvalidOperationException("first delivery fails")
            : Task.CompletedTask;
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector", o => o.MaxAttempts = 3));
        var publisher = new StreamPublisher(provider);

        for (var seq = 1; seq <= 10; seq++)
        {
            await publisher.PublishAsync(new StreamId("orders", "o1"), new TestEvent("o1", seq));
        }

        await WaitUntilAsync(() => handler.HandledCount >= 10, "all ten handled");
        var deliveries = handler.Deliveries;
        Assert.Equal(deliveries[0].Select(e => e.Position), deliveries[1].Select(e => e.Position)); // the same batch again
        Assert.Equal(Enumerable.Range(1, 10), handler.Handled.Select(e => e.Event.Seq));
        Assert.Empty(await ReadAllAsync(provider, DeadLetteredEvent.NamespaceOf("projector")));
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task An_event_that_always_fails_is_dead_lettered_after_max_attempts_and_later_events_are_handled()
    {
        var provider = await FreshAsync(2);
        var handler = new RecordingHandler();
        var poisonAttempts = 0;
        handler.Behavior = (batch, _) =>
        {
            if (batch.Any(e => e.Event.Seq == 5))
            {
                Interlocked.Increment(ref poisonAttempts);
                throw new InvalidOperationException("seq 5 is poison");
            }

            return Task.CompletedTask;
        };
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector", o =>
        {
            o.BatchSize = 1;
            o.MaxAttempts = 3;
        }));
        var publisher = new StreamPublisher(provider);
        var stream = new StreamId("orders", "poisoned");

        for (var seq = 1; seq <= 10; seq++)
        {
            await publisher.PublishAsync(stream, new TestEvent("poisoned", seq));
        }

        await WaitUntilAsync(() => handler.HandledCount >= 9, "the nine good events handled");
        Assert.Equal([1, 2, 3, 4, 6, 7, 8, 9, 10], handler.Handled.Select(e => e.Event.Seq));
        Assert.Equal(3, poisonAttempts);

        var deadLetters = (await ReadAllAsync(provider, DeadLetteredEvent.NamespaceOf("projector"))).Select(ReadDeadLetter).ToList();
        var deadLetter = Assert.Single(deadLetters);
        Assert.Equal("orders/poisoned", deadLetter.Stream);
        Assert.Equal("projector", deadLetter.Group);
        Assert.Equal(3, deadLetter.Attempts);
        Assert.Equal(stream.PartitionOf(2), deadLetter.Partition);
        Assert.Contains("seq 5 is poison", deadLetter.Error, StringComparison.Ordinal);
        Assert.Equal("json", deadLetter.PayloadFormat);
        Assert.Equal(5, deadLetter.Payload.GetProperty("seq").GetInt32());
        Assert.Equal("poisoned", deadLetter.Payload.GetProperty("key").GetString());
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task A_payload_that_cannot_be_deserialized_is_dead_lettered_at_once_and_does_not_block_the_partition()
    {
        var provider = await FreshAsync(2);
        var handler = new RecordingHandler();
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector"));
        var stream = new StreamId("orders", "mangled");

        await provider.AppendAsync(stream, "not json at all"u8.ToArray(), CancellationToken.None);
        await provider.AppendAsync(stream, """{"key":"mangled","seq":"not a number"}"""u8.ToArray(), CancellationToken.None);
        await new StreamPublisher(provider).PublishAsync(stream, new TestEvent("mangled", 3));

        await WaitUntilAsync(() => handler.HandledCount >= 1, "the good event handled");
        Assert.Equal(3, Assert.Single(handler.Handled).Event.Seq);
        Assert.All(handler.Deliveries, batch => Assert.All(batch, e => Assert.Equal(3, e.Event.Seq)));

        var deadLetters = (await ReadAllAsync(provider, DeadLetteredEvent.NamespaceOf("projector"))).Select(ReadDeadLetter).ToList();
        Assert.Equal(2, deadLetters.Count);
        Assert.All(deadLetters, d =>
        {
            Assert.Equal("orders/mangled", d.Stream);
            Assert.Equal(0, d.Attempts);
            Assert.Contains(nameof(TestEvent), d.Error, StringComparison.Ordinal);
        });
        Assert.Equal("text", deadLetters[0].PayloadFormat);
        Assert.Equal("not json at all", deadLetters[0].Payload.GetString());
        Assert.Equal("json", deadLetters[1].PayloadFormat);
        Assert.Equal("not a number", deadLetters[1].Payload.GetProperty("seq").GetString());
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task After_a_restart_consumers_resume_after_the_checkpoint_without_redelivering_or_losing_events()
    {
        const int partitions = 2, backlog = 300, later = 50;
        var provider = await FreshAsync(partitions);
        var publisher = new StreamPublisher(provider);
        for (var i = 0; i < backlog; i++)
        {
            await publisher.PublishAsync(new StreamId("orders", $"o{i % 6}"), new TestEvent($"o{i % 6}", i));
        }

        // A slow handler, stopped part-way through the backlog.
        var before = new RecordingHandler { Behavior = (_, ct) => Task.Delay(50, ct) };
        await using (var first = await StartSiloAsync(provider, b => b.AddRecordingHandler(before, "orders", "projector", o => o.BatchSize = 5)))
        {
            await WaitUntilAsync(() => before.HandledCount >= 40, "some events handled before the restart");
        }

        var restarted = await ReopenAsync(provider);
        var acknowledged = new StreamPosition[partitions];
        for (var p = 0; p < partitions; p++)
        {
            acknowledged[p] = await restarted.GetAcknowledgedAsync("projector", "orders", p, CancellationToken.None);
        }

        var handledBefore = before.Handled;
        Assert.True(handledBefore.Count < backlog, "the first silo should stop before the end of the backlog");
        var acknowledgedEvents = handledBefore.Where(e => e.Position <= acknowledged[e.Stream.PartitionOf(partitions)]).ToList();
        Assert.NotEmpty(acknowledgedEvents);

        var after = new RecordingHandler();
        await using var second = await StartSiloAsync(restarted, b => b.AddRecordingHandler(after, "orders", "projector"));
        var publisherAfter = new StreamPublisher(restarted);
        for (var i = backlog; i < backlog + later; i++)
        {
            await publisherAfter.PublishAsync(new StreamId("orders", $"o{i % 6}"), new TestEvent($"o{i % 6}", i));
        }

        await WaitUntilAsync(
            () => handledBefore.Concat(after.Handled).Select(e => e.Event.Seq).Distinct().Count() >= backlog + later,
            "every event handled by one silo or the other");
        var handledAfter = after.Handled;
        Assert.All(handledAfter, e => Assert.True(e.Position > acknowledged[e.Stream.PartitionOf(partitions)],
            $"{e.Stream} {e.Position} was acknowledged before the restart and was delivered again"));
        Assert.Equal(Enumerable.Range(0, backlog + later), handledBefore.Concat(handledAfter).Select(e => e.Event.Seq).Distinct().Order());
        foreach (var stream in handledAfter.GroupBy(e => e.Stream))
        {
            var seqs = stream.Select(e => e.Event.Seq).ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task An_event_whose_publish_completed_is_stored_and_readable_after_reopening_the_store()
    {
        var provider = await FreshAsync(4);
        var publisher = new StreamPublisher(provider);
        var published = new List<(StreamId Stream, StreamPosition Position, TestEvent Event)>();
        for (var i = 0; i < 100; i++)
        {
            var stream = new StreamId("durable", $"d{i % 7}");
            var e = new TestEvent(stream.Key, i);
            published.Add((stream, await publisher.PublishAsync(stream, e), e));
        }

        // The first provider is neither stopped nor flushed: what a crash would leave.
        var reopened = await ReopenAsync(provider);
        var read = await ReadAllAsync(reopened, "durable");

        Assert.Equal(published.Count, read.Count);
        foreach (var (stream, position, e) in published)
        {
            var stored = Assert.Single(read, r => r.Stream == stream && r.Position == position);
            Assert.Equal(e, JsonSerializer.Deserialize<TestEvent>(stored.Payload.Span, JsonSerializerOptions.Web));
        }
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task Positions_keep_rising_after_reopening_the_store()
    {
        var provider = await FreshAsync(1);
        var stream = new StreamId("log", "only");
        StreamPosition last = default;
        for (var i = 0; i < 5; i++)
        {
            last = await provider.AppendAsync(stream, "{}"u8.ToArray(), CancellationToken.None);
        }

        if (provider is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        var reopened = await ReopenAsync(provider);
        var next = await reopened.AppendAsync(stream, "{}"u8.ToArray(), CancellationToken.None);

        Assert.True(next > last, $"{next} should follow {last}");
        Assert.Equal(next, await reopened.GetEndAsync("log", 0, CancellationToken.None));
        Assert.Equal(6, (await ReadAllAsync(reopened, "log")).Count);
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task The_read_barrier_returns_only_after_the_handler_handled_an_event_published_just_before()
    {
        var provider = await FreshAsync(4);
        var handler = new RecordingHandler { Behavior = (_, ct) => Task.Delay(300, ct) };
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "timeline", "persist"));
        var publisher = new StreamPublisher(provider);
        var barrier = new StreamBarrier(provider);
        var stream = new StreamId("timeline", "user:alice");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        var position = await publisher.PublishAsync(stream, new TestEvent("user:alice", 1));
        await barrier.WaitHandledAsync("persist", stream, timeout.Token);

        Assert.Contains(handler.Handled, e => e.Stream == stream && e.Position == position);
        var consumer = Assert.Single(silo.Runtime.Streams!.Consumers, c => c.Group == "persist" && c.Partition == stream.PartitionOf(4));
        // The consumer notes its checkpoint once the provider's reply arrives, a moment after the barrier could see it.
        while (consumer.Acknowledged < position && !timeout.IsCancellationRequested)
        {
            await Task.Delay(10);
        }

        Assert.True(consumer.Acknowledged >= position, $"the consumer's checkpoint {consumer.Acknowledged} is before {position}");

        // Again, with the handler mid-way through earlier events of the partition.
        var second = await publisher.PublishAsync(stream, new TestEvent("user:alice", 2));
        var third = await publisher.PublishAsync(stream, new TestEvent("user:alice", 3));
        await barrier.WaitHandledAsync("persist", stream, timeout.Token);
        Assert.Contains(handler.Handled, e => e.Position == second);
        Assert.Contains(handler.Handled, e => e.Position == third);
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task Lag_counts_the_events_a_group_has_not_acknowledged_yet()
    {
        var provider = await FreshAsync(2);
        var stream = new StreamId("log", "a");
        var partition = stream.PartitionOf(2);
        Assert.Equal(0, await provider.GetLagAsync("persist", "log", partition, CancellationToken.None));
        for (var i = 0; i < 5; i++)
        {
            await provider.AppendAsync(stream, "{}"u8.ToArray(), CancellationToken.None);
        }

        Assert.Equal(5, await provider.GetLagAsync("persist", "log", partition, CancellationToken.None)); // nothing read yet
        await using var reader = provider.OpenReader("persist", "log", partition);
        var read = await reader.ReadAsync(10, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.Equal(5, await provider.GetLagAsync("persist", "log", partition, CancellationToken.None)); // read is not handled
        await reader.AcknowledgeAsync(read[1].Position, CancellationToken.None);
        Assert.Equal(3, await provider.GetLagAsync("persist", "log", partition, CancellationToken.None));
        Assert.Equal(5, await provider.GetLagAsync("push", "log", partition, CancellationToken.None)); // another group is its own
        await reader.AcknowledgeAsync(read[^1].Position, CancellationToken.None);
        Assert.Equal(0, await provider.GetLagAsync("persist", "log", partition, CancellationToken.None));
    }

    [ConformanceFact(Timeout = 60_000)]
    public async Task The_read_barrier_of_a_group_that_does_not_run_waits_until_canceled()
    {
        var provider = await FreshAsync(2);
        var publisher = new StreamPublisher(provider);
        var barrier = new StreamBarrier(provider);
        var stream = new StreamId("timeline", "user:bob");
        await publisher.PublishAsync(stream, new TestEvent("user:bob", 1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => barrier.WaitHandledAsync("nobody", stream, timeout.Token));
    }

    private async Task<IStreamProvider> FreshAsync(int partitions)
    {
        var provider = CreateProvider(partitions);
        opened.Add(provider);
        await provider.InitializeAsync(CancellationToken.None);
        return provider;
    }

    private async Task<IStreamProvider> ReopenAsync(IStreamProvider provider)
    {
        var reopened = Reopen(provider);
        opened.Add(reopened);
        await reopened.InitializeAsync(CancellationToken.None);
        return reopened;
    }

    private static DeadLetteredEvent ReadDeadLetter(StoredStreamEvent stored) =>
        JsonSerializer.Deserialize<DeadLetteredEvent>(stored.Payload.Span, JsonSerializerOptions.Web)!;
}
