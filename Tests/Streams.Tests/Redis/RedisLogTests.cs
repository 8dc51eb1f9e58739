using ChatCluster.Streams.Tests.Conformance;
using ChatCluster.Streams.Tests.Sqlite;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;
using StackExchange.Redis;
using Xunit;

namespace ChatCluster.Streams.Tests.Redis;

/// <summary>The Redis log and its receivers without a silo, on the shared redis-server with a key prefix per test.</summary>
public sealed class RedisLogTests : IAsyncLifetime
{
    private static readonly LogReader Reader = new("persist", TestNamespaces.Source, TestNamespaces.Persist);

    // SiloStatus in Orleans' membership rows.
    private const int Active = 3;
    private const int Dead = 6;

    private readonly string keyPrefix = $"redislog-{Guid.NewGuid():N}";
    private readonly ServiceProvider services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(RedisLog).Assembly).AddAssembly(typeof(TestEvent).Assembly))
        .BuildServiceProvider();

    private readonly List<RedisLog> logs = [];
    private readonly List<StreamConsumerLag> lags = [];
    private readonly List<ConnectionMultiplexer> connections = [];
    private RedisServer? server;

    private LogRecordCodec Codec => new(services.GetRequiredService<Serializer>());

    public async Task InitializeAsync() => server = await SharedServers.Redis;

    public async Task DisposeAsync()
    {
        foreach (var lag in lags)
        {
            await lag.DisposeAsync();
        }

        foreach (var log in logs)
        {
            await log.DisposeAsync();
        }

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        await services.DisposeAsync();
    }

    [Fact]
    public async Task A_silo_the_membership_declared_dead_cannot_append_and_changes_nothing()
    {
        var (log, fence, redis) = await OpenFencedAsync();

        Assert.Equal(1, await AppendAsync(log, queue: 0, "s0", 0)); // no row yet (joining, or membership elsewhere): allowed
        await SetStatusAsync(redis, fence, Active);
        Assert.Equal(2, await AppendAsync(log, queue: 0, "s0", 1));

        await SetStatusAsync(redis, fence, Dead);
        var refused = await Assert.ThrowsAsync<RedisServerException>(() => AppendAsync(log, queue: 0, "s0", 2));
        Assert.Contains("FENCED", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, await redis.StreamLengthAsync($"{keyPrefix}:log:0"));
        Assert.Equal(2, (long)await redis.StringGetAsync($"{keyPrefix}:offset:0"));

        // Another silo's death does not fence this one.
        var other = Create(fence: fence with { SiloRow = "S127.0.0.1:22222:1" });
        await other.OpenAsync(CancellationToken.None);
        Assert.Equal(3, await AppendAsync(other, queue: 0, "s0", 3));
    }

    [Fact]
    public async Task Acked_appends_survive_a_new_connection()
    {
        var first = await OpenAsync();
        var offsets = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            offsets.Add(await AppendAsync(first, queue: 1, "s1", i));
        }

        Assert.Equal([1L, 2, 3, 4, 5], offsets);
        await first.DisposeAsync();

        await using var connection = await ConnectionMultiplexer.ConnectAsync(server!.Endpoint);
        var entries = await connection.GetDatabase().StreamRangeAsync($"{keyPrefix}:log:1");
        Assert.Equal(5, entries.Length);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(["offset", "namespace", "payload"], entries[i].Values.Select(field => (string?)field.Name));
            Assert.Equal(i + 1, (long)entries[i]["offset"]);
            Assert.Equal(TestNamespaces.Source, (string?)entries[i]["namespace"]);
            var body = Codec.Decode((byte[])entries[i]["payload"]!);
            Assert.Equal(i, Assert.IsType<TestEvent>(Assert.Single(body.Events)).Counter);
        }

        var second = await OpenAsync();
        Assert.Equal(5, await second.GetEndAsync(1, CancellationToken.None));
        Assert.Equal(0, await second.GetEndAsync(0, CancellationToken.None));
        Assert.Equal(6, await AppendAsync(second, queue: 1, "s1", 5));
    }

    [Fact]
    public async Task Appends_made_while_a_script_runs_go_together_in_call_order_with_consecutive_offsets()
    {
        var log = await OpenAsync();
        const int Count = 2_000;
        // All queued at once: the first goes alone, the rest wait for it and go in batches of at most MaxRecords.
        var appends = Enumerable.Range(0, Count).Select(i => AppendAsync(log, queue: 2, $"s{i % 7}", i)).ToArray();
        var offsets = await Task.WhenAll(appends);

        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), offsets);
        Assert.InRange(log.AppendBatches, 1 + Count / RedisAppendBatcher.MaxRecords, Count / 2);
        Assert.Equal(Count, await log.GetEndAsync(2, CancellationToken.None));

        await using var connection = await ConnectionMultiplexer.ConnectAsync(server!.Endpoint);
        var entries = await connection.GetDatabase().StreamRangeAsync($"{keyPrefix}:log:2");
        Assert.Equal(Count, entries.Length);
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(i + 1, (long)entries[i]["offset"]);
            var item = Assert.IsType<TestEvent>(Assert.Single(Codec.Decode((byte[])entries[i]["payload"]!).Events));
            Assert.Equal((i, $"s{i % 7}"), (item.Counter, item.Stream));
        }
    }

    [Fact]
    public async Task A_failed_batch_fails_each_of_its_appends_and_the_next_batch_goes_on()
    {
        // Fenced between two batches: every append of the refused batch fails, none is stored, and the queue is not stuck.
        var (log, fence, redis) = await OpenFencedAsync();
        await SetStatusAsync(redis, fence, Dead);

        var refused = Enumerable.Range(0, 50).Select(i => AppendAsync(log, queue: 3, "s3", i)).ToArray();
        foreach (var append in refused)
        {
            Assert.Contains("FENCED", (await Assert.ThrowsAsync<RedisServerException>(() => append)).Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await redis.StreamLengthAsync($"{keyPrefix}:log:3"));
        await SetStatusAsync(redis, fence, Active);
        var accepted = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => AppendAsync(log, queue: 3, "s3", i)));
        Assert.Equal([1L, 2, 3], accepted);
    }

    [Fact]
    public async Task Entries_written_before_the_key_field_was_dropped_are_still_read()
    {
        // Entries appended before 2026-12-07 carry the stream's key as a fourth field; they are read like the new ones.
        const int queue = 3;
        var log = await OpenAsync();
        await AppendAsync(log, queue, "s3", 0);
        var payload = Payload("s3", 1);
        var offset = await log.Database.StringIncrementAsync(log.OffsetKey(queue));
        await log.Database.StreamAddAsync(log.StreamKey(queue), [new("offset", offset), new("namespace", TestNamespaces.Source), new("key", "s3"), new("payload", payload)]);
        await AppendAsync(log, queue, "s3", 2);

        var receiver = await StartedReceiverAsync(log, queue, "silo-a");
        var read = await ReadAllAsync(receiver);
        Assert.Equal([1L, 2, 3], read.Select(container => container.Offset));
        Assert.Equal([0, 1, 2], read.SelectMany(container => container.GetEvents<TestEvent>()).Select(item => item.Item1.Counter));
    }

    [Fact]
    public async Task Pending_entries_of_a_consumer_that_went_away_are_delivered_by_the_next_one()
    {
        // The next owner reads once the first one's hold on the queue lapsed.
        var log = await OpenAsync(configure: options => options.QueueHoldTime = TimeSpan.FromMilliseconds(100));
        for (var i = 0; i < 6; i++)
        {
            await AppendAsync(log, queue: 2, "s2", i);
        }

        // The first owner reads everything, gets two records delivered, and goes away.
        var first = await StartedReceiverAsync(log, 2, "silo-a");
        var read = await ReadAllAsync(first);
        Assert.Equal([1L, 2, 3, 4, 5, 6], read.Select(container => container.Offset));
        await first.MessagesDeliveredAsync([.. read.Take(2)], CancellationToken.None);
        Assert.Equal(2, await log.GetCheckpointAsync(Reader.ProviderName, 2, CancellationToken.None));

        // The next owner (another silo) takes over what the first one left pending.
        var second = await StartedReceiverAsync(log, 2, "silo-b");
        var again = await ReadAllAsync(second);
        Assert.Equal([3L, 4, 5, 6], again.Select(container => container.Offset));
        Assert.All(again, container => Assert.Equal(StreamId.Create(TestNamespaces.Persist, "2"), container.StreamId));

        await second.MessagesDeliveredAsync([.. again], CancellationToken.None);
        Assert.Equal(6, await log.GetCheckpointAsync(Reader.ProviderName, 2, CancellationToken.None));
        var pending = await log.Database.StreamPendingAsync(log.StreamKey(2), Reader.ProviderName);
        Assert.Equal(0, pending.PendingMessageCount);

        // New records go to the new owner only.
        await AppendAsync(log, queue: 2, "s2", 6);
        Assert.Equal([7L], (await ReadAllAsync(second)).Select(container => container.Offset));
    }

    /// <summary>
    /// The queue moves while its earlier owner still runs and its queue is quiet (Redis 7.0 does not count an XREADGROUP
    /// that finds nothing as the consumer seen): the new owner reads nothing until the earlier one lets go, then at once.
    /// </summary>
    [Fact]
    public async Task A_new_owner_waits_for_a_quiet_earlier_owner_to_let_go_then_reads_at_once()
    {
        const int queue = 1;
        var log = await OpenAsync(configure: options => options.ClaimIdleTime = TimeSpan.FromMilliseconds(200));
        var earlier = await StartedReceiverAsync(log, queue, "silo-a");
        Assert.Empty(await ReadAllAsync(earlier));

        // Both poll the quiet queue for longer than ClaimIdleTime; the earlier one keeps the queue.
        var later = await StartedReceiverAsync(log, queue, "silo-b");
        for (var poll = 0; poll < 10; poll++)
        {
            Assert.Empty(await earlier.GetQueueMessagesAsync(100, CancellationToken.None));
            Assert.Empty(await later.GetQueueMessagesAsync(100, CancellationToken.None));
            await Task.Delay(100);
        }

        await AppendRangeAsync(log, queue, "s1", 0, 5);

        Assert.Empty(await later.GetQueueMessagesAsync(100, CancellationToken.None));
        var read = await ReadAllAsync(earlier);
        Assert.Equal(Offsets(1, 5), read.Select(container => container.Offset));
        Assert.Empty(await ReadAllAsync(later));
        await earlier.MessagesDeliveredAsync([.. read], CancellationToken.None);

        // Its shutdown lets go of the queue (no hold left to lapse), and the new owner reads on from there.
        await earlier.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.False(await log.Database.KeyExistsAsync(log.HolderKey(Reader.ProviderName, queue)));
        await AppendRangeAsync(log, queue, "s1", 5, 8);

        Assert.Equal(Offsets(6, 8), (await ReadAllAsync(later)).Select(container => container.Offset));
        Assert.Equal("silo-b", (string?)await log.Database.StringGetAsync(log.HolderKey(Reader.ProviderName, queue)));
    }

    /// <summary>
    /// A new owner that waited its TakeoverTimeout takes the queue from an earlier one that still renews its hold: the
    /// earlier one reads nothing new from its next renewal on, and new entries go to the new owner only.
    /// </summary>
    [Fact]
    public async Task An_owner_whose_queue_was_taken_after_the_timeout_reads_nothing_new()
    {
        const int queue = 2;
        var earlierLog = await OpenAsync(configure: options => options.QueueHoldTime = TimeSpan.FromMilliseconds(400));
        var laterLog = await OpenAsync(configure: options => options.TakeoverTimeout = TimeSpan.Zero);
        await AppendRangeAsync(earlierLog, queue, "s2", 0, 3);

        var earlier = await StartedReceiverAsync(earlierLog, queue, "silo-a");
        var read = await ReadAllAsync(earlier);
        Assert.Equal(Offsets(1, 3), read.Select(container => container.Offset));
        await earlier.MessagesDeliveredAsync([.. read], CancellationToken.None);

        var later = await StartedReceiverAsync(laterLog, queue, "silo-b");
        Assert.Empty(await later.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal("silo-b", (string?)await laterLog.Database.StringGetAsync(laterLog.HolderKey(Reader.ProviderName, queue)));

        // Past a quarter of its hold time, the earlier owner renews before it reads, and finds the queue taken.
        await Task.Delay(150);
        await AppendRangeAsync(earlierLog, queue, "s2", 3, 6);

        Assert.Empty(await earlier.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(Offsets(4, 6), (await ReadAllAsync(later)).Select(container => container.Offset));
        Assert.Empty(await ReadAllAsync(earlier));
    }

    /// <summary>
    /// The queue moves while its earlier owner still runs: both receivers read at once, each delivers only part of what it
    /// read, the earlier one stops without delivering the rest. Every entry is delivered at least once, and neither the
    /// checkpoint nor the trim ever passes an entry not yet delivered.
    /// </summary>
    [Fact]
    public async Task Two_receivers_of_one_group_on_one_queue_at_once_skip_nothing_and_never_checkpoint_or_trim_past_an_undelivered_entry()
    {
        const int queue = 1;
        var log = await OpenAsync(configure: options =>
        {
            options.ClaimIdleTime = TimeSpan.FromSeconds(2);
            options.ClaimPeriod = TimeSpan.FromMilliseconds(100);
            options.TakeoverTimeout = TimeSpan.Zero;  // the new owner takes the queue at once...
            options.QueueHoldTime = TimeSpan.FromHours(1);  // ...and the earlier one, not renewing its hold in this test, reads on
        });
        var delivered = new HashSet<long>();
        await AppendRangeAsync(log, queue, "s1", 0, 10);

        var earlier = await StartedReceiverAsync(log, queue, "silo-a");
        var earlierRead = await ReadAllAsync(earlier);
        Assert.Equal(Offsets(1, 10), earlierRead.Select(container => container.Offset));

        // The new owner starts while the earlier one runs on: it takes over what the earlier one holds.
        var later = await StartedReceiverAsync(log, queue, "silo-b");
        var laterRead = await ReadAllAsync(later);
        Assert.Equal(Offsets(1, 10), laterRead.Select(container => container.Offset));

        // Both read on; Redis gives each new entry to one of them.
        await AppendRangeAsync(log, queue, "s1", 10, 30);

        earlierRead.AddRange((await earlier.GetQueueMessagesAsync(5, CancellationToken.None)).Cast<LogBatchContainer>());
        laterRead.AddRange(await ReadAllAsync(later));
        Assert.Equal(Offsets(1, 15), earlierRead.Select(container => container.Offset));
        Assert.Equal(Offsets(1, 10).Concat(Offsets(16, 30)), laterRead.Select(container => container.Offset));

        await DeliverAsync(earlier, earlierRead.Where(container => container.Offset <= 5));
        await AssertNothingUndeliveredPassedAsync(log, queue, delivered, end: 30);
        Assert.Equal(5, await log.GetCheckpointAsync(Reader.ProviderName, queue, CancellationToken.None));

        await DeliverAsync(later, laterRead);
        await AssertNothingUndeliveredPassedAsync(log, queue, delivered, end: 30);
        Assert.Equal(10, await log.GetCheckpointAsync(Reader.ProviderName, queue, CancellationToken.None));

        // The earlier owner lets go without delivering 11-15; the new owner takes them once they were left long enough.
        await earlier.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
        var taken = new List<LogBatchContainer>();
        await Eventually.WaitAsync(
            async () =>
            {
                taken.AddRange((await later.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<LogBatchContainer>());
                return taken.Count >= 5;
            },
            () => $"the new owner took over {taken.Count} of the 5 entries left");
        Assert.Equal(Offsets(11, 15), taken.Select(container => container.Offset));
        await DeliverAsync(later, taken);

        Assert.Equal(Offsets(1, 30), delivered.Order());
        Assert.Equal(30, await log.GetCheckpointAsync(Reader.ProviderName, queue, CancellationToken.None));
        Assert.Equal(0, (await log.Database.StreamPendingAsync(log.StreamKey(queue), Reader.ProviderName)).PendingMessageCount);
        await AssertNothingUndeliveredPassedAsync(log, queue, delivered, end: 30);

        async Task DeliverAsync(RedisQueueReceiver receiver, IEnumerable<LogBatchContainer> containers)
        {
            var list = containers.ToList();
            await receiver.MessagesDeliveredAsync([.. list], CancellationToken.None);
            delivered.UnionWith(list.Select(container => container.Offset));
        }
    }

    [Fact]
    public async Task A_receiver_reports_the_lag_of_its_queue_while_it_holds_it()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 4; i++)
        {
            await AppendAsync(log, queue: 2, "s2", i);
        }

        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        Assert.Empty(LagGauge.Read(lag));
        var receiver = new RedisQueueReceiver(log, Reader, 2, "silo-a", Codec, lag, NullLogger.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal([(Reader.ProviderName, 2)], lag.HeldQueues);
        Assert.Equal([(Reader.ProviderName, TestNamespaces.Source, "2", 4L)], LagGauge.Read(lag));

        await receiver.Shutdown(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Empty(lag.HeldQueues);
        Assert.Empty(LagGauge.Read(lag));
    }

    private static IEnumerable<long> Offsets(long from, long to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(offset => (long)offset);

    // The checkpoint is below the first entry not delivered, and the trim keeps every entry not delivered.
    private static async Task AssertNothingUndeliveredPassedAsync(RedisLog log, int queue, HashSet<long> delivered, long end)
    {
        var undelivered = Offsets(1, end).Where(offset => !delivered.Contains(offset)).ToList();
        var checkpoint = await log.GetCheckpointAsync(Reader.ProviderName, queue, CancellationToken.None);
        Assert.True(undelivered.Count == 0 || checkpoint < undelivered[0], $"Checkpoint {checkpoint} passes the undelivered entry {undelivered.FirstOrDefault()}.");
        await log.TrimAsync();
        var kept = (await log.Database.StreamRangeAsync(log.StreamKey(queue))).Select(entry => (long)entry[RedisLog.OffsetField]).ToHashSet();
        Assert.All(undelivered, offset => Assert.Contains(offset, kept));
    }

    [Fact]
    public async Task Other_namespaces_are_skipped_and_the_checkpoint_moves_past_them()
    {
        var log = await OpenAsync();
        await AppendAsync(log, queue: 0, "s0", 0);
        await log.AppendAsync(0, StreamId.Create(TestNamespaces.Other, "x"), Payload("x", 0));
        await log.AppendAsync(0, StreamId.Create(TestNamespaces.Other, "x"), Payload("x", 1));

        var receiver = await StartedReceiverAsync(log, 0, "silo-a");
        var read = await ReadAllAsync(receiver);
        Assert.Equal([1L], read.Select(container => container.Offset));
        Assert.Equal(0, await log.GetCheckpointAsync(Reader.ProviderName, 0, CancellationToken.None));

        await receiver.MessagesDeliveredAsync([.. read], CancellationToken.None);
        Assert.Equal(3, await log.GetCheckpointAsync(Reader.ProviderName, 0, CancellationToken.None));
    }

    [Fact]
    public async Task The_trim_keeps_what_a_group_has_not_acknowledged()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(log, queue: 3, "s3", i);
        }

        var receiver = await StartedReceiverAsync(log, 3, "silo-a");
        var read = await ReadAllAsync(receiver);
        Assert.Equal(5, read.Count);

        // Read but not delivered: pending, so nothing goes.
        await log.TrimAsync();
        Assert.Equal(5, await log.Database.StreamLengthAsync(log.StreamKey(3)));

        // The first three acknowledged: the oldest pending entry (offset 4) is the oldest kept.
        await receiver.MessagesDeliveredAsync([.. read.Take(3)], CancellationToken.None);
        await log.TrimAsync();
        Assert.Equal(2, await log.Database.StreamLengthAsync(log.StreamKey(3)));

        await receiver.MessagesDeliveredAsync([.. read.Skip(3)], CancellationToken.None);
        await log.TrimAsync();
        Assert.Equal(1, await log.Database.StreamLengthAsync(log.StreamKey(3)));
        Assert.Equal(5, await log.GetEndAsync(3, CancellationToken.None));
        Assert.Equal(6, await AppendAsync(log, queue: 3, "s3", 5));
    }

    [Fact]
    public async Task A_redis_with_a_password_is_used_and_the_password_is_not_shown()
    {
        const string password = "p4ss-w0rd-never-shown";
        await using var secured = await RedisServer.StartAsync(appendOnly: false, password);
        var log = new RedisLog(
            new RedisLogOptions { Configuration = $"{secured.Endpoint},password={password}", KeyPrefix = keyPrefix, Queues = 2, TrimPeriod = TimeSpan.Zero },
            [Reader.ProviderName],
            NullLogger.Instance);
        await using (log)
        {
            await log.OpenAsync(CancellationToken.None);
            Assert.Equal(1, await AppendAsync(log, queue: 0, "s0", 0));
            Assert.DoesNotContain(password, log.ToString(), StringComparison.Ordinal);
        }

        var unauthenticated = new RedisLog(
            new RedisLogOptions { Configuration = $"{secured.Endpoint},password=wrong-{password},connectTimeout=2000", KeyPrefix = keyPrefix, Queues = 2, TrimPeriod = TimeSpan.Zero },
            [Reader.ProviderName],
            NullLogger.Instance);
        await using (unauthenticated)
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => unauthenticated.OpenAsync(CancellationToken.None));
            Assert.DoesNotContain(password, error.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_different_queue_count_for_a_used_prefix_stops_the_start()
    {
        await OpenAsync(queues: 4);
        var other = Create(queues: 8);
        var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => other.OpenAsync(CancellationToken.None));
        Assert.Contains("RedisLogOptions.Queues", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 queues", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_valid_once_the_configuration_is_set()
    {
        Assert.Empty(new RedisLogOptions { Configuration = "127.0.0.1:6379" }.Validate());
    }

    [Theory]
    [InlineData("Configuration")]
    [InlineData("KeyPrefix")]
    [InlineData("Queues")]
    [InlineData("ClaimIdleTime")]
    [InlineData("TrimPeriod")]
    [InlineData("ExternalPollPeriod")]
    [InlineData("ReadBatchSize")]
    [InlineData("ClaimBatchSize")]
    [InlineData("ClaimPeriod")]
    [InlineData("TakeoverTimeout")]
    [InlineData("QueueHoldTime")]
    public void Each_bad_option_is_named(string property)
    {
        var options = new RedisLogOptions { Configuration = "127.0.0.1:6379" };
        switch (property)
        {
            case "Configuration": options.Configuration = " "; break;
            case "KeyPrefix": options.KeyPrefix = "a b"; break;
            case "Queues": options.Queues = 0; break;
            case "ClaimIdleTime": options.ClaimIdleTime = TimeSpan.FromSeconds(-1); break;
            case "TrimPeriod": options.TrimPeriod = TimeSpan.FromSeconds(-1); break;
            case "ExternalPollPeriod": options.ExternalPollPeriod = TimeSpan.Zero; break;
            case "ReadBatchSize": options.ReadBatchSize = 0; break;
            case "ClaimBatchSize": options.ClaimBatchSize = 0; break;
            case "ClaimPeriod": options.ClaimPeriod = TimeSpan.Zero; break;
            case "TakeoverTimeout": options.TakeoverTimeout = TimeSpan.FromSeconds(-1); break;
            case "QueueHoldTime": options.QueueHoldTime = TimeSpan.Zero; break;
        }

        var error = Assert.Single(options.Validate());
        Assert.Contains($"RedisLogOptions.{property}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_password_is_never_in_messages()
    {
        var options = new RedisLogOptions { Configuration = "127.0.0.1:1,password=hunter2-secret,connectTimeout=500,connectRetry=0" };
        var log = new RedisLog(options, ["persist"], NullLogger.Instance);
        Assert.DoesNotContain("hunter2", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", string.Join(" ", options.Validate()), StringComparison.Ordinal);
        var bad = new RedisLogOptions { Configuration = "127.0.0.1:6379,password=hunter2-secret,connectTimeout=notanumber" };
        Assert.DoesNotContain("hunter2", string.Join(" ", bad.Validate()), StringComparison.Ordinal);

        // Nothing listens on port 1.
        await using (log)
        {
            var error = await Assert.ThrowsAsync<OrleansConfigurationException>(() => log.OpenAsync(CancellationToken.None));
            Assert.Contains("could not connect", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_silo_with_bad_options_does_not_start_and_they_are_named()
    {
        var builder = new Orleans.TestingHost.InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.AddRedisLog("log", options => options.Queues = 0, Reader));
        await using var cluster = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(cluster.DeployAsync);
        var message = error.ToString();
        Assert.Contains("RedisLogOptions.Configuration", message, StringComparison.Ordinal);
        Assert.Contains("RedisLogOptions.Queues", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_readers_are_refused_at_registration()
    {
        var silo = new FakeSiloBuilder();
        var duplicate = Assert.Throws<ArgumentException>(() => silo.AddRedisLog("log", _ => { }, new LogReader("log", "a", "b")));
        Assert.Contains("LogReader.ProviderName 'log' is used twice", duplicate.Message, StringComparison.Ordinal);
    }

    private RedisLog Create(int queues = 4, Action<RedisLogOptions>? configure = null, WriterFence? fence = null)
    {
        var options = new RedisLogOptions { Configuration = server!.Endpoint, KeyPrefix = keyPrefix, Queues = queues, TrimPeriod = TimeSpan.Zero };
        configure?.Invoke(options);
        var log = new RedisLog(options, [Reader.ProviderName], NullLogger.Instance, fence);
        logs.Add(log);
        return log;
    }

    // A log fenced by this test's membership row, and a direct connection to write the row.
    private async Task<(RedisLog Log, WriterFence Fence, IDatabase Redis)> OpenFencedAsync()
    {
        var fence = new WriterFence($"{keyPrefix}-chatcluster/members/tests", "S127.0.0.1:11111:1");
        var log = Create(fence: fence);
        await log.OpenAsync(CancellationToken.None);
        var connection = await ConnectionMultiplexer.ConnectAsync(server!.Endpoint);
        connections.Add(connection);
        return (log, fence, connection.GetDatabase());
    }

    // The silo's row as Orleans' Redis membership table writes it (Newtonsoft JSON).
    private static Task<bool> SetStatusAsync(IDatabase redis, WriterFence fence, int status) =>
        redis.HashSetAsync(fence.MembershipKey, fence.SiloRow, $$"""{"SiloAddress":"127.0.0.1:11111@1","Status":{{status}}}""");

    private async Task<RedisLog> OpenAsync(int queues = 4, Action<RedisLogOptions>? configure = null)
    {
        var log = Create(queues, configure);
        await log.OpenAsync(CancellationToken.None);
        return log;
    }

    private RedisQueueReceiver Receiver(RedisLog log, int queue, string consumer)
    {
        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        lags.Add(lag);
        return new RedisQueueReceiver(log, Reader, queue, consumer, Codec, lag, NullLogger.Instance);
    }

    private async Task<RedisQueueReceiver> StartedReceiverAsync(RedisLog log, int queue, string consumer)
    {
        var receiver = Receiver(log, queue, consumer);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        return receiver;
    }

    // Appends events from to to - 1 of stream key, one at a time.
    private async Task AppendRangeAsync(RedisLog log, int queue, string key, int from, int to)
    {
        for (var counter = from; counter < to; counter++)
        {
            await AppendAsync(log, queue, key, counter);
        }
    }

    private Task<long> AppendAsync(RedisLog log, int queue, string key, int counter) =>
        log.AppendAsync(queue, StreamId.Create(TestNamespaces.Source, key), Payload(key, counter));

    // A record's payload: one test event of stream key.
    private byte[] Payload(string key, int counter) => Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("run", key, counter) }, null));

    // Reads until four reads in a row, 100 ms apart, brought nothing (a receiver may wait for another consumer to stop first).
    private static async Task<List<LogBatchContainer>> ReadAllAsync(RedisQueueReceiver receiver)
    {
        var all = new List<LogBatchContainer>();
        for (var empty = 0; empty < 4;)
        {
            var batch = await receiver.GetQueueMessagesAsync(100, CancellationToken.None);
            all.AddRange(batch.Cast<LogBatchContainer>());
            empty = batch.Count == 0 ? empty + 1 : 0;
            if (batch.Count == 0)
            {
                await Task.Delay(100);
            }
        }

        return all;
    }
}
