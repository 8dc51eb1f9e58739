using ChatCluster.Streams.Tests.Conformance;
using Orleans.Runtime;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>The SQLite log without a silo: durability, group commit, offsets, trim, the queue count of a file.</summary>
public sealed class SqliteLogTests : IAsyncLifetime, IAsyncDisposable
{
    private readonly SqliteLogFixture fixture = new();

    public Task InitializeAsync() => Task.CompletedTask;

    // xunit 2 calls IAsyncLifetime.DisposeAsync on test classes, not IAsyncDisposable's.
    public Task DisposeAsync() => fixture.DisposeAsync().AsTask();

    ValueTask IAsyncDisposable.DisposeAsync() => fixture.DisposeAsync();

    [Fact]
    public async Task Acked_appends_are_in_the_file_before_the_log_closes()
    {
        var writer = await fixture.OpenAsync(queues: 4);
        var appends = Enumerable.Range(0, 2000)
            .Select(i => fixture.AppendAsync(writer, i % 4, TestNamespaces.Source, $"s{i % 10}", new TestEvent("run", $"s{i % 10}", i)))
            .ToList();
        await Task.WhenAll(appends);

        // The writer is left open, as a killed process would leave it: a second log over the file sees every acked append.
        var reopened = await fixture.OpenAsync(queues: 4);
        for (var queue = 0; queue < 4; queue++)
        {
            Assert.Equal(500, await reopened.GetEndAsync(queue, CancellationToken.None));
        }

        using var file = new SqliteRecordReader(reopened.ConnectionString, queue: 1);
        var records = file.ReadAfter(0, 1000);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), records.Select(record => record.Offset));
        Assert.All(records, record => Assert.Equal(1, fixture.Codec.Decode(record.Payload).Events.OfType<TestEvent>().Single().Counter % 4));
    }

    [Fact]
    public async Task Offsets_go_on_after_reopening_and_with_two_writers_on_one_file()
    {
        var first = await fixture.OpenAsync(queues: 2);
        Assert.Equal(1, await fixture.AppendAsync(first, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", 0)));
        Assert.Equal(2, await fixture.AppendAsync(first, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", 1)));
        await first.DisposeAsync();

        var second = await fixture.OpenAsync(queues: 2);
        var third = await fixture.OpenAsync(queues: 2);
        var offsets = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            fixture.AppendAsync(i % 2 == 0 ? second : third, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", i + 2))));

        Assert.Equal(Enumerable.Range(3, 400).Select(i => (long)i), offsets.Order());
        Assert.Equal(402, await third.GetEndAsync(0, CancellationToken.None));
        Assert.Equal(0, await third.GetEndAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task Two_writers_taking_turns_on_one_file_each_see_the_others_appends()
    {
        // One commit at a time, alternating: each writer's known end of the queue is stale after the other's commit.
        var second = await fixture.OpenAsync(queues: 2);
        var third = await fixture.OpenAsync(queues: 2);
        var offsets = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            offsets.Add(await fixture.AppendAsync(i % 2 == 0 ? second : third, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", i)));
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), offsets);
    }

    [Fact]
    public async Task Concurrent_appends_share_transactions()
    {
        var log = await fixture.OpenAsync(queues: 8);
        var payload = fixture.Codec.Encode(LogRecordCodec.Body([new TestEvent("run", "s", 0)], null));
        const int count = 5000;

        var appends = new Task<long>[count];
        for (var i = 0; i < count; i++)
        {
            appends[i] = log.AppendAsync(i % 8, StreamId.Create(TestNamespaces.Source, $"s{i % 100}"), payload);
        }

        await Task.WhenAll(appends);
        Assert.Equal(count, log.Appends);
        Assert.True(log.Commits * 10 <= count, $"{count} concurrent appends took {log.Commits} transactions.");

        // Each queue's offsets follow the order of the calls.
        for (var queue = 0; queue < 8; queue++)
        {
            var ofQueue = appends.Where((_, i) => i % 8 == queue).Select(task => task.Result).ToList();
            Assert.Equal(Enumerable.Range(1, count / 8).Select(i => (long)i), ofQueue);
        }
    }

    [Fact]
    public async Task Trim_deletes_what_every_reader_checkpointed_past_and_keeps_the_end()
    {
        var log = await fixture.OpenAsync(queues: 1, configure: null, "persist", "push");
        for (var i = 0; i < 100; i++)
        {
            await fixture.AppendAsync(log, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", i));
        }

        await log.CheckpointAsync("persist", 0, 60);
        await log.CheckpointAsync("push", 0, 80);
        await log.CheckpointAsync("persist", 0, 50); // checkpoints never go back
        Assert.Equal(60, await log.GetCheckpointAsync("persist", 0, CancellationToken.None));

        Assert.Equal(60, await log.TrimAsync());
        Assert.Equal(40, await SqliteFiles.CountAsync(fixture.DatabasePath, "SELECT count(*) FROM log_records"));

        await log.CheckpointAsync("persist", 0, 100);
        await log.CheckpointAsync("push", 0, 100);
        Assert.Equal(39, await log.TrimAsync());
        Assert.Equal(100, await log.GetEndAsync(0, CancellationToken.None));
        Assert.Equal(101, await fixture.AppendAsync(log, 0, TestNamespaces.Source, "a", new TestEvent("run", "a", 100)));
    }

    [Fact]
    public async Task A_trim_deletes_at_most_MaxRecordsPerTrim_a_transaction_and_goes_on_until_done()
    {
        var log = await fixture.OpenAsync(queues: 2, configure: options => options.MaxRecordsPerTrim = 7, "persist");
        for (var i = 0; i < 30; i++)
        {
            await fixture.AppendAsync(log, i % 2, TestNamespaces.Source, "a", new TestEvent("run", "a", i));
        }

        await log.CheckpointAsync("persist", 0, 15); // queue 0: offsets 1-15, all read
        await log.CheckpointAsync("persist", 1, 10); // queue 1: 1-10 of 1-15 read
        var commits = log.Commits;

        // Queue 0 keeps its end: 7 + 7 + 0 (the last finds nothing more); queue 1: 7 + 3.
        Assert.Equal(24, await log.TrimAsync());
        Assert.Equal(5, log.Commits - commits);
        Assert.Equal(1, await SqliteFiles.CountAsync(fixture.DatabasePath, "SELECT count(*) FROM log_records WHERE queue_no = 0"));
        Assert.Equal(15, await SqliteFiles.CountAsync(fixture.DatabasePath, "SELECT min(record_offset) FROM log_records WHERE queue_no = 0"));
        Assert.Equal(5, await SqliteFiles.CountAsync(fixture.DatabasePath, "SELECT count(*) FROM log_records WHERE queue_no = 1"));
        Assert.Equal(11, await SqliteFiles.CountAsync(fixture.DatabasePath, "SELECT min(record_offset) FROM log_records WHERE queue_no = 1"));
    }

    [Fact]
    public async Task A_file_keeps_the_queue_count_it_was_created_with()
    {
        var log = await fixture.OpenAsync(queues: 4);
        await log.DisposeAsync();

        var other = fixture.Create(queues: 8);
        var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => other.OpenAsync(CancellationToken.None));
        Assert.Contains("SqliteLogOptions.Queues", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 queues", error.Message, StringComparison.Ordinal);
    }
}
