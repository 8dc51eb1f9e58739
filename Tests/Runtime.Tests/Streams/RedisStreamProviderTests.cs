using System.Diagnostics;
using System.Text;
using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using ChatCluster.Runtime.Redis;
using ChatCluster.Runtime.Streams.Redis;
using ChatCluster.Runtime.Tests.Clustering;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>What only the Redis Streams provider promises, beyond the conformance suite: claiming, trimming, failures.</summary>
public sealed class RedisStreamProviderTests(PrivateRedis redis) : IClassFixture<PrivateRedis>, IAsyncLifetime
{
    private readonly string prefix = "test-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<IAsyncDisposable> disposables = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_reader_with_another_consumer_name_claims_and_redelivers_in_order_what_the_first_read_but_did_not_acknowledge()
    {
        var first = await StartAsync("silo-a");
        var stream = new StreamId("orders", "o1");
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 10; i++)
        {
            positions.Add(await first.AppendAsync(stream, Payload(i), CancellationToken.None));
        }

        var firstReader = first.OpenReader("projector", "orders", 0);
        var read = await firstReader.ReadAsync(6, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.Equal(positions.Take(6), read.Select(e => e.Position));
        await firstReader.AcknowledgeAsync(read[2].Position, CancellationToken.None); // 1-3 handled; 4-6 read, not acknowledged
        // The first process dies: its reader is never used again (its consumer's pending entries stay in Redis).

        var second = await StartAsync("silo-b");
        await using var secondReader = second.OpenReader("projector", "orders", 0);
        var redelivered = new List<StoredStreamEvent>();
        while (await secondReader.ReadAsync(2, TimeSpan.FromMilliseconds(100), CancellationToken.None) is { Count: > 0 } events)
        {
            redelivered.AddRange(events);
        }

        Assert.Equal(positions.Skip(3), redelivered.Select(e => e.Position)); // 4-6 again, then 7-10, in order, nothing lost or doubled
        Assert.Equal(Enumerable.Range(4, 7).Select(i => $"event {i}"), redelivered.Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
        Assert.Equal(positions[2], await second.GetAcknowledgedAsync("projector", "orders", 0, CancellationToken.None));

        await secondReader.AcknowledgeAsync(redelivered[^1].Position, CancellationToken.None);
        var pending = await Connection().ExecuteAsync("XPENDING", $"{prefix}:stream:orders:0", "projector");
        Assert.Equal(0, pending.AsArray()[0].AsInt64());
        Assert.Equal(positions[^1], await second.GetAcknowledgedAsync("projector", "orders", 0, CancellationToken.None));
        await firstReader.DisposeAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task Entries_an_old_owner_read_after_the_new_one_opened_hold_back_the_handled_position_until_the_new_owner_claims_them()
    {
        var first = await StartAsync("silo-a");
        var stream = new StreamId("orders", "o1");
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 10; i++)
        {
            positions.Add(await first.AppendAsync(stream, Payload(i), CancellationToken.None));
        }

        await using var oldOwner = first.OpenReader("persist", "orders", 0);
        Assert.Equal(positions.Take(3), (await oldOwner.ReadAsync(3, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Position));

        var second = await StartAsync("silo-b", o => o.ClaimIdleTime = TimeSpan.FromMilliseconds(300));
        await using var newOwner = second.OpenReader("persist", "orders", 0);
        Assert.Equal(positions.Take(3), (await newOwner.ReadAsync(3, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Position)); // claimed on open
        // The old owner, not yet stopped, reads on: 4-6 are now pending with it.
        Assert.Equal(positions.Skip(3).Take(3), (await oldOwner.ReadAsync(3, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Position));
        Assert.Equal(positions.Skip(6), (await newOwner.ReadAsync(10, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Position));
        await newOwner.AcknowledgeAsync(positions[^1], CancellationToken.None);

        // The checkpoint says 10, but 4-6 were never handled: a read barrier must not pass them.
        var handled = await second.GetAcknowledgedAsync("persist", "orders", 0, CancellationToken.None);
        Assert.True(handled >= positions[2] && handled < positions[3], $"handled position {handled} is not between events 3 and 4");

        // The old owner stops without acknowledging; once they were idle for ClaimIdleTime the new owner takes them over.
        await Task.Delay(400);
        Assert.Equal(positions.Skip(3).Take(3), (await newOwner.ReadAsync(10, TimeSpan.Zero, CancellationToken.None)).Select(e => e.Position));
        await newOwner.AcknowledgeAsync(positions[5], CancellationToken.None);
        Assert.Equal(positions[^1], await second.GetAcknowledgedAsync("persist", "orders", 0, CancellationToken.None));
    }

    [Fact(Timeout = 30_000)]
    public async Task Rewind_delivers_again_what_was_read_after_the_checkpoint()
    {
        var provider = await StartAsync("silo-a");
        var stream = new StreamId("orders", "o1");
        for (var i = 1; i <= 5; i++)
        {
            await provider.AppendAsync(stream, Payload(i), CancellationToken.None);
        }

        await using var reader = provider.OpenReader("projector", "orders", 0);
        var read = await reader.ReadAsync(10, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        await reader.AcknowledgeAsync(read[1].Position, CancellationToken.None);
        reader.Rewind();

        var again = await reader.ReadAsync(10, TimeSpan.FromMilliseconds(100), CancellationToken.None);
        Assert.Equal(read.Skip(2).Select(e => e.Position), again.Select(e => e.Position));
        Assert.Empty(await reader.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact(Timeout = 30_000)]
    public async Task Trimming_removes_only_entries_every_group_acknowledged()
    {
        var provider = await StartAsync("silo-a", o => o.TrimInterval = TimeSpan.FromHours(1)); // trimmed by hand below
        var stream = new StreamId("chat", "room");
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 10; i++)
        {
            positions.Add(await provider.AppendAsync(stream, Payload(i), CancellationToken.None));
        }

        await using var persist = provider.OpenReader("persist", "chat", 0);
        await using var push = provider.OpenReader("push", "chat", 0);
        await using var audit = provider.OpenReader("audit", "chat", 0);
        await persist.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        await push.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        await audit.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);

        await persist.AcknowledgeAsync(positions[7], CancellationToken.None);
        await push.AcknowledgeAsync(positions[4], CancellationToken.None);
        Assert.Equal(0, await provider.TrimAsync("chat", 0, CancellationToken.None)); // audit acknowledged nothing yet
        Assert.Equal(positions, await StoredAsync("chat", 0));

        await audit.AcknowledgeAsync(positions[9], CancellationToken.None);
        Assert.Equal(5, await provider.TrimAsync("chat", 0, CancellationToken.None)); // up to push's checkpoint, entry 5
        Assert.Equal(positions.Skip(5), await StoredAsync("chat", 0));

        await push.AcknowledgeAsync(positions[9], CancellationToken.None);
        await provider.TrimAsync("chat", 0, CancellationToken.None);
        Assert.Equal(positions.Skip(8), await StoredAsync("chat", 0)); // persist still has 9 and 10 to acknowledge
        Assert.Equal(positions[9], await provider.GetEndAsync("chat", 0, CancellationToken.None));

        await persist.AcknowledgeAsync(positions[9], CancellationToken.None);
        await provider.TrimAsync("chat", 0, CancellationToken.None);
        Assert.Empty(await StoredAsync("chat", 0));
        Assert.Equal(positions[9], await provider.GetEndAsync("chat", 0, CancellationToken.None)); // the end never goes back
        var next = await provider.AppendAsync(stream, Payload(11), CancellationToken.None);
        Assert.True(next > positions[9]);
    }

    [Fact(Timeout = 30_000)]
    public async Task Trimming_keeps_an_entry_another_consumer_of_the_group_holds_even_below_the_checkpoint()
    {
        // Two processes consuming one partition in one group (no partition ownership yet): one acknowledges past an entry the other still holds.
        var a = await StartAsync("silo-a", o => o.TrimInterval = TimeSpan.FromHours(1));
        var b = await StartAsync("silo-b", o => o.TrimInterval = TimeSpan.FromHours(1));
        await using var readerA = a.OpenReader("persist", "chat", 0);
        await using var readerB = b.OpenReader("persist", "chat", 0);
        Assert.Empty(await readerA.ReadAsync(10, TimeSpan.FromMilliseconds(10), CancellationToken.None)); // both open (and claim) before anything is pending
        Assert.Empty(await readerB.ReadAsync(10, TimeSpan.FromMilliseconds(10), CancellationToken.None));
        var stream = new StreamId("chat", "room");
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 4; i++)
        {
            positions.Add(await a.AppendAsync(stream, Payload(i), CancellationToken.None));
        }

        Assert.Equal(positions.Take(2), (await readerB.ReadAsync(2, TimeSpan.FromMilliseconds(50), CancellationToken.None)).Select(e => e.Position));
        Assert.Equal(positions.Skip(2), (await readerA.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None)).Select(e => e.Position));
        await readerA.AcknowledgeAsync(positions[3], CancellationToken.None);

        await a.TrimAsync("chat", 0, CancellationToken.None);
        Assert.Equal(positions, await StoredAsync("chat", 0)); // 1 and 2 are still pending at silo-b

        await readerB.AcknowledgeAsync(positions[1], CancellationToken.None);
        await a.TrimAsync("chat", 0, CancellationToken.None);
        Assert.Empty(await StoredAsync("chat", 0));
    }

    [Fact(Timeout = 30_000)]
    public async Task Acknowledging_trims_by_itself_once_every_group_is_past_an_entry()
    {
        var provider = await StartAsync("silo-a", o => o.TrimInterval = TimeSpan.Zero);
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 4; i++)
        {
            positions.Add(await provider.AppendAsync(new StreamId("chat", "room"), Payload(i), CancellationToken.None));
        }

        await using var only = provider.OpenReader("persist", "chat", 0);
        var read = await only.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        await only.AcknowledgeAsync(read[2].Position, CancellationToken.None);

        Assert.Equal([positions[3]], await StoredAsync("chat", 0));
    }

    [Fact(Timeout = 30_000)]
    public async Task Appends_not_awaited_one_by_one_are_stored_in_the_order_they_were_made()
    {
        var provider = await StartAsync("silo-a", o => o.Partitions = 2);
        var streams = new[] { new StreamId("orders", "a"), new StreamId("orders", "b"), new StreamId("orders", "c") };
        var appends = Enumerable.Range(0, 3000).Select(i => provider.AppendAsync(streams[i % 3], Payload(i), CancellationToken.None)).ToList();
        var positions = await Task.WhenAll(appends);

        for (var s = 0; s < streams.Length; s++)
        {
            var ofStream = positions.Where((_, i) => i % 3 == s).ToList();
            Assert.Equal(ofStream.Order(), ofStream); // made earlier, stored earlier
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_blocked_read_does_not_hold_up_appends()
    {
        var provider = await StartAsync("silo-a");
        await using var reader = provider.OpenReader("persist", "chat", 0);
        await reader.ReadAsync(10, TimeSpan.FromMilliseconds(10), CancellationToken.None); // opened: the group exists

        var blocked = reader.ReadAsync(10, TimeSpan.FromSeconds(5), CancellationToken.None);
        await Task.Delay(100);
        var started = Stopwatch.GetTimestamp();
        var position = await provider.AppendAsync(new StreamId("chat", "room"), Payload(1), CancellationToken.None);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(2), "the append waited for the blocked read (5 s)");

        var events = await blocked; // and the blocked read wakes up with it
        Assert.Equal(position, Assert.Single(events).Position);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_append_to_an_unreachable_redis_fails_clearly_and_stores_nothing_and_appends_work_again_once_it_is_back()
    {
        await using var server = await RedisServer.StartAsync(appendOnly: true);
        var provider = Track(new RedisStreamProvider(
            new RedisOptions { Endpoint = server.Endpoint, ConnectTimeout = TimeSpan.FromSeconds(1), CommandTimeout = TimeSpan.FromSeconds(1) },
            new RedisStreamOptions { Partitions = 1, KeyPrefix = prefix, ConsumerName = "silo-a" }));
        await provider.InitializeAsync(CancellationToken.None);
        var stream = new StreamId("orders", "o1");
        var before = await provider.AppendAsync(stream, Payload(1), CancellationToken.None);

        await server.StopAsync();
        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => provider.AppendAsync(stream, Payload(2), CancellationToken.None));
        Assert.Contains("orders/o1", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.Endpoint, error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<RedisException>(error.InnerException);

        await server.StartAgainAsync();
        var after = await WaitForAppendAsync(provider, stream, Payload(3));
        Assert.True(after > before);
        await using var reader = provider.OpenReader("inspect", "orders", 0);
        var read = await reader.ReadAsync(10, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        Assert.Equal(["event 1", "event 3"], read.Select(e => Encoding.UTF8.GetString(e.Payload.Span))); // AOF kept 1; 2 was never stored
    }

    [Fact(Timeout = 30_000)]
    public async Task An_append_made_for_a_silo_incarnation_is_refused_once_the_membership_table_has_it_dead_and_stores_nothing()
    {
        var table = new RedisMembershipTable(Connection(), prefix + ":");
        var provider = await StartAsync("silo-a", o => o.MembershipKey = RedisMembershipTable.MembersKey(table.KeyPrefix));
        var alive = new SiloAddress("127.0.0.1", 7001, 1);
        var doomed = new SiloAddress("127.0.0.1", 7002, 1);
        foreach (var silo in new[] { alive, doomed })
        {
            await table.JoinAsync(silo, CancellationToken.None);
            await table.SetStatusAsync(silo, SiloStatus.Active, CancellationToken.None);
        }

        var stream = new StreamId("orders", "o1");
        var first = await provider.AppendAsync(stream, Payload(1), doomed.ToString(), CancellationToken.None);

        // The others give up on 'doomed' (one vote is enough with a single other silo).
        var vote = await table.SuspectAsync(doomed, alive, 1, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.True(vote.DeclaredDead);

        // Appends of both writers in flight at once: each batch is checked for its own writer.
        var mixed = Enumerable.Range(2, 20)
            .Select(i => (Writer: i % 2 == 0 ? alive : doomed, Append: provider.AppendAsync(stream, Payload(i), (i % 2 == 0 ? alive : doomed).ToString(), CancellationToken.None)))
            .ToList();
        foreach (var (writer, append) in mixed)
        {
            if (writer == alive)
            {
                await append;
                continue;
            }

            var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => append);
            Assert.Contains(doomed.ToString(), error.Message, StringComparison.Ordinal);
            Assert.Contains("was not appended", error.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<StorageUnavailableException>(() => provider.AppendAsync(stream, Payload(99), "127.0.0.1:7003@5", CancellationToken.None));
        var plain = await provider.AppendAsync(stream, Payload(100), CancellationToken.None); // no writer: not a grain's publish

        await using var reader = provider.OpenReader("inspect", "orders", 0);
        var stored = new List<string>();
        while (await reader.ReadAsync(100, TimeSpan.FromMilliseconds(50), CancellationToken.None) is { Count: > 0 } events)
        {
            stored.AddRange(events.Select(e => Encoding.UTF8.GetString(e.Payload.Span)));
        }

        string[] expected = ["event 1", .. Enumerable.Range(2, 20).Where(i => i % 2 == 0).Select(i => $"event {i}"), "event 100"];
        Assert.Equal(expected, stored);
        Assert.True(plain > first);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_reader_opened_for_a_silo_incarnation_cannot_checkpoint_once_the_membership_table_has_it_dead()
    {
        var table = new RedisMembershipTable(Connection(), prefix + ":");
        var provider = await StartAsync("silo-a", o => o.MembershipKey = RedisMembershipTable.MembersKey(table.KeyPrefix));
        var owner = new SiloAddress("127.0.0.1", 7001, 1);
        var other = new SiloAddress("127.0.0.1", 7002, 1);
        foreach (var silo in new[] { owner, other })
        {
            await table.JoinAsync(silo, CancellationToken.None);
            await table.SetStatusAsync(silo, SiloStatus.Active, CancellationToken.None);
        }

        var stream = new StreamId("orders", "o1");
        var positions = new List<StreamPosition>();
        for (var i = 1; i <= 4; i++)
        {
            positions.Add(await provider.AppendAsync(stream, Payload(i), CancellationToken.None));
        }

        await using var reader = provider.OpenReader("persist", "orders", 0, owner.ToString());
        var read = await reader.ReadAsync(2, TimeSpan.Zero, CancellationToken.None);
        await reader.AcknowledgeAsync(read[^1].Position, CancellationToken.None);
        Assert.Equal(positions[1], await provider.GetAcknowledgedAsync("persist", "orders", 0, CancellationToken.None));

        Assert.True((await table.SuspectAsync(owner, other, 1, TimeSpan.FromSeconds(10), CancellationToken.None)).DeclaredDead);
        read = await reader.ReadAsync(2, TimeSpan.Zero, CancellationToken.None);
        var error = await Assert.ThrowsAsync<RedisErrorException>(() => reader.AcknowledgeAsync(read[^1].Position, CancellationToken.None));
        Assert.Contains(owner.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Equal(positions[1], await provider.GetAcknowledgedAsync("persist", "orders", 0, CancellationToken.None)); // not moved
        var pending = await Connection().ExecuteAsync("XPENDING", $"{prefix}:stream:orders:0", "persist");
        Assert.Equal(2, pending.AsArray()[0].AsInt64()); // 3 and 4 still pending: the next owner claims them
    }

    [Fact(Timeout = 90_000)]
    public async Task Consumers_carry_on_after_redis_restarts_with_its_append_only_file()
    {
        await using var server = await RedisServer.StartAsync(appendOnly: true);
        var provider = new RedisStreamProvider(
            new RedisOptions { Endpoint = server.Endpoint, ConnectTimeout = TimeSpan.FromSeconds(1), CommandTimeout = TimeSpan.FromSeconds(2) },
            new RedisStreamOptions { Partitions = 2, KeyPrefix = prefix, ConsumerName = "silo-a" });
        var handler = new RecordingHandler();
        await using var silo = await StreamTesting.StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector"));
        var publisher = new StreamPublisher(provider);
        for (var seq = 1; seq <= 50; seq++)
        {
            await publisher.PublishAsync(new StreamId("orders", $"o{seq % 5}"), new TestEvent($"o{seq % 5}", seq));
        }

        await StreamTesting.WaitUntilAsync(() => handler.HandledCount >= 50, "the first 50 handled");
        await server.RestartAsync();
        for (var seq = 51; seq <= 100; seq++)
        {
            var stream = new StreamId("orders", $"o{seq % 5}");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try
                {
                    await publisher.PublishAsync(stream, new TestEvent(stream.Key, seq));
                    break;
                }
                catch (StorageUnavailableException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }

        await StreamTesting.WaitUntilAsync(() => handler.Handled.Select(e => e.Event.Seq).Distinct().Count() >= 100, "all 100 handled after the restart", 40);
        foreach (var stream in handler.Handled.GroupBy(e => e.Stream))
        {
            var seqs = stream.Select(e => e.Event.Seq).Distinct().ToList();
            Assert.Equal(seqs.Order(), seqs);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Initialize_on_a_redis_that_cannot_be_reached_fails()
    {
        await using var provider = new RedisStreamProvider(
            new RedisOptions { Endpoint = $"127.0.0.1:{FreePort.Get()}", ConnectTimeout = TimeSpan.FromMilliseconds(500) },
            new RedisStreamOptions { KeyPrefix = prefix });
        await Assert.ThrowsAnyAsync<RedisException>(() => provider.InitializeAsync(CancellationToken.None));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_prefix_refuses_a_different_partition_count_and_says_which_it_has()
    {
        await StartAsync("silo-a", o => o.Partitions = 4);
        var other = Track(new RedisStreamProvider(new RedisOptions { Endpoint = redis.Server.Endpoint }, new RedisStreamOptions { Partitions = 8, KeyPrefix = prefix }));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.InitializeAsync(CancellationToken.None));
        Assert.Contains("4 partitions", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Streams:Partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_setting_named()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new RedisStreamProvider(
            new RedisOptions(),
            new RedisStreamOptions { Partitions = 0, KeyPrefix = "has space", ConsumerName = "" }));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Streams:Partitions", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Streams:KeyPrefix", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Streams:ConsumerName", StringComparison.Ordinal));
    }

    [Fact]
    public void AddRedisStreams_reads_and_checks_its_sections_when_called()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ChatCluster:Streams:Partitions"] = "2000",
                ["ChatCluster:Redis:Endpoint"] = "not a host:port:x",
            })
            .Build();
        var builder = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddGrainRuntime();

        var error = Assert.Throws<OptionsValidationException>(() => builder.AddRedisStreams(configuration));
        Assert.Contains("ChatCluster:Streams:Partitions", error.Message, StringComparison.Ordinal);
    }

    private static byte[] Payload(int i) => Encoding.UTF8.GetBytes($"event {i}");

    private static async Task<StreamPosition> WaitForAppendAsync(RedisStreamProvider provider, StreamId stream, byte[] payload)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await provider.AppendAsync(stream, payload, CancellationToken.None);
            }
            catch (StorageUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100); // the connection's reconnect back-off
            }
        }
    }

    private async Task<RedisStreamProvider> StartAsync(string consumer, Action<RedisStreamOptions>? configure = null)
    {
        var options = new RedisStreamOptions { Partitions = 1, KeyPrefix = prefix, ConsumerName = consumer };
        configure?.Invoke(options);
        var provider = Track(new RedisStreamProvider(new RedisOptions { Endpoint = redis.Server.Endpoint }, options));
        await provider.InitializeAsync(CancellationToken.None);
        return provider;
    }

    private T Track<T>(T disposable) where T : IAsyncDisposable
    {
        disposables.Add(disposable);
        return disposable;
    }

    private RedisConnection Connection() => redis.Connect();

    /// <summary>The ids of the entries in the partition's stream (XRANGE), as positions.</summary>
    private async Task<List<StreamPosition>> StoredAsync(string streamNamespace, int partition)
    {
        var reply = await Connection().ExecuteAsync("XRANGE", $"{prefix}:stream:{streamNamespace}:{partition}", "-", "+");
        return [.. reply.AsArray().Select(e => RedisEntryIds.Parse(e.AsArray()[0].AsString()!))];
    }
}
