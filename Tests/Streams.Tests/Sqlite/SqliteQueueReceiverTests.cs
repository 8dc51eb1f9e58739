using System.Diagnostics.Metrics;
using ChatCluster.Streams.Tests.Conformance;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Streams;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>A reader's receiver on one queue, without a silo: decoding, skipping, dead letters, checkpoints.</summary>
public sealed class SqliteQueueReceiverTests : IAsyncLifetime, IAsyncDisposable
{
    private static readonly LogReader Reader = new("persist", TestNamespaces.Source, TestNamespaces.Persist);
    private readonly SqliteLogFixture fixture = new();
    private readonly List<StreamConsumerLag> lags = [];

    public Task InitializeAsync() => Task.CompletedTask;

    // xunit 2 calls IAsyncLifetime.DisposeAsync on test classes, not IAsyncDisposable's.
    public Task DisposeAsync() => ((IAsyncDisposable)this).DisposeAsync().AsTask();

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        foreach (var lag in lags)
        {
            await lag.DisposeAsync();
        }

        await fixture.DisposeAsync();
    }

    [Fact]
    public async Task A_corrupt_record_in_the_file_is_dead_lettered_and_the_others_delivered()
    {
        using var deadLetters = new StreamCounterListener(StreamMetrics.DeadLettersName);
        var log = await fixture.OpenAsync(queues: 2);
        await fixture.AppendAsync(log, 1, TestNamespaces.Source, "a", new TestEvent("run", "a", 0));
        byte[] garbage = [1, 2, 3, 4, 5];
        await SqliteFiles.AppendRawAsync(fixture.DatabasePath, 1, StreamId.Create(TestNamespaces.Source, "a"), garbage);
        await fixture.AppendAsync(log, 1, TestNamespaces.Source, "a", new TestEvent("run", "a", 1));
        await fixture.AppendAsync(log, 1, TestNamespaces.Other, "b", new TestEvent("run", "b", 0));

        var receiver = await StartAsync(log, queue: 1);
        var delivered = await ReadAllAsync(receiver);

        Assert.Equal([1L, 3L], delivered.Select(container => container.Offset));
        Assert.All(delivered, container => Assert.Equal(StreamId.Create(TestNamespaces.Persist, "1"), container.StreamId));
        Assert.Equal([0, 1], delivered.SelectMany(container => container.GetEvents<TestEvent>()).Select(item => item.Item1.Counter));
        Assert.Equal(3, delivered[1].GetEvents<TestEvent>().Single().Item2.SequenceNumber);
        Assert.Equal(1, await SqliteFiles.CountAsync(
            fixture.DatabasePath,
            "SELECT count(*) FROM log_dead_letters WHERE reader = 'persist' AND queue_no = 1 AND record_offset = 2 AND payload = $payload AND length(error) > 0",
            ("$payload", garbage)));
        Assert.Equal(1, deadLetters.CountOf("persist"));

        // Delivered: the checkpoint moves past the last record, which was of another namespace.
        await receiver.MessagesDeliveredAsync([.. delivered], CancellationToken.None);
        Assert.Equal(4, await log.GetCheckpointAsync("persist", 1, CancellationToken.None));
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task Records_of_other_namespaces_alone_are_checkpointed_past()
    {
        var log = await fixture.OpenAsync(queues: 1);
        await fixture.AppendAsync(log, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", 0));
        var receiver = await StartAsync(log, queue: 0);
        var first = await ReadAllAsync(receiver);
        Assert.Single(first);

        // While the first record waits for delivery, skipped records do not move the checkpoint.
        await fixture.AppendAsync(log, 0, TestNamespaces.Other, "b", new TestEvent("run", "b", 0));
        Assert.Empty(await ReadAllAsync(receiver));
        Assert.Equal(0, await log.GetCheckpointAsync("persist", 0, CancellationToken.None));

        await receiver.MessagesDeliveredAsync([.. first], CancellationToken.None);
        Assert.Equal(2, await log.GetCheckpointAsync("persist", 0, CancellationToken.None));

        await fixture.AppendAsync(log, 0, TestNamespaces.Other, "b", new TestEvent("run", "b", 1));
        Assert.Empty(await ReadAllAsync(receiver));
        Assert.Equal(3, await log.GetCheckpointAsync("persist", 0, CancellationToken.None));
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_receiver_starts_after_its_checkpoint_and_reads_the_file_and_the_tail()
    {
        // Records written by another log over the file are not in this log's tail: they are read from the file.
        var other = await fixture.OpenAsync(queues: 1);
        for (var i = 0; i < 10; i++)
        {
            await fixture.AppendAsync(other, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", i));
        }

        // A reader of its own, so that the file reads counted for it are this test's alone.
        var reader = new LogReader("persist-file-reads", TestNamespaces.Source, TestNamespaces.Persist);
        using var fileReads = new FileReadCounter(reader.ProviderName);
        var log = await fixture.OpenAsync(queues: 1);
        await log.CheckpointAsync(reader.ProviderName, 0, 4);
        var receiver = await StartAsync(log, queue: 0, reader);
        Assert.Equal([5L, 6, 7, 8, 9, 10], (await ReadAllAsync(receiver)).Select(container => container.Offset));
        Assert.Equal(6, fileReads.Records);

        await fixture.AppendAsync(log, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", 10));
        Assert.Equal([11L], (await ReadAllAsync(receiver)).Select(container => container.Offset));
        Assert.Equal(6, fileReads.Records); // the new record came from the tail
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_caught_up_receiver_reads_the_file_once_another_writer_has_committed_and_not_for_its_own_appends()
    {
        var reader = new LogReader("persist-external", TestNamespaces.Source, TestNamespaces.Persist);
        using var fileReads = new FileReadCounter(reader.ProviderName);
        var log = await fixture.OpenAsync(queues: 1);
        var receiver = await StartAsync(log, queue: 0, reader);
        for (var i = 0; i < 3; i++)
        {
            await fixture.AppendAsync(log, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", i));
        }

        // Its own appends come through the tail, and the writer, idle for several of its polls after them, finds no
        // other writer's commit: the receivers have no reason to read the file.
        Assert.Equal([1L, 2, 3], (await ReadAllAsync(receiver)).Select(container => container.Offset));
        Assert.Equal(0, log.ExternalCommits);
        Assert.Equal(0, fileReads.Records);

        // Another silo's writer on the same file: its records are in no tail of this log.
        var other = await fixture.OpenAsync(queues: 1);
        await fixture.AppendAsync(other, 0, TestNamespaces.Source, "b", new TestEvent("run", "b", 0));
        await fixture.AppendAsync(other, 0, TestNamespaces.Source, "b", new TestEvent("run", "b", 1));

        Assert.Equal([4L, 5], (await ReadAllAsync(receiver)).Select(container => container.Offset));
        Assert.True(log.ExternalCommits > 0);
        Assert.Equal(2, fileReads.Records);
        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    private async Task<SqliteQueueReceiver> StartAsync(SqliteLog log, int queue, LogReader? reader = null)
    {
        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        var receiver = new SqliteQueueReceiver(log, reader ?? Reader, queue, fixture.Codec, lag, NullLogger.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(10), CancellationToken.None);
        return receiver;
    }

    // Reads until the receiver has nothing more, waiting out its poll of the file for other writers' records.
    private static async Task<List<LogBatchContainer>> ReadAllAsync(IQueueAdapterReceiver receiver)
    {
        var all = new List<LogBatchContainer>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            while (true)
            {
                var batch = await receiver.GetQueueMessagesAsync(100, CancellationToken.None);
                if (batch.Count == 0)
                {
                    break;
                }

                all.AddRange(batch.Cast<LogBatchContainer>());
            }

            await Task.Delay(150);
        }

        return all;
    }

    // Records counted on chatcluster_sqlite_log_file_records_total for one provider.
    private sealed class FileReadCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private long records;

        public FileReadCounter(string provider)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StreamMetrics.MeterName && instrument.Name == StreamMetrics.SqliteFileReadsName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "provider" && Equals(tag.Value, provider))
                    {
                        Interlocked.Add(ref records, value);
                    }
                }
            });
            listener.Start();
        }

        public long Records => Interlocked.Read(ref records);

        public void Dispose() => listener.Dispose();
    }
}
