using System.Text;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Tests.Redis;

/// <summary>Commands against the shared redis-server: values, concurrency on one connection, server errors.</summary>
public sealed class RedisConnectionTests
{
    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Binary_values_round_trip_including_one_mebibyte()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var random = new Random(42);
        foreach (var size in new[] { 0, 1, 2, 255, 4096, 65_537, 1024 * 1024 })
        {
            var value = new byte[size];
            random.NextBytes(value);
            var key = RedisTesting.Key("binary");

            Assert.Equal("OK", (await redis.ExecuteAsync("SET", key, value)).AsString());
            var reply = await redis.ExecuteAsync("GET", key);

            Assert.Equal(RedisReplyKind.BulkString, reply.Kind);
            Assert.True(reply.AsBytes().Span.SequenceEqual(value), $"the {size}-byte value came back different");
        }

        Assert.True((await redis.ExecuteAsync("GET", RedisTesting.Key("missing"))).IsNull);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_large_array_reply_that_arrives_in_many_reads_parses_whole()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var list = RedisTesting.Key("big-list");
        for (var batch = 0; batch < 10; batch++)
        {
            var command = new List<RedisArg> { "RPUSH", list };
            command.AddRange(Enumerable.Range(batch * 500, 500).Select(i => (RedisArg)$"{i}:{new string('v', 500)}"));
            await redis.ExecuteAsync([.. command]);
        }

        var reply = await redis.ExecuteAsync("LRANGE", list, 0, -1);

        var items = reply.AsArray();
        Assert.Equal(5_000, items.Count);
        Assert.All(items.Select((item, i) => (item, i)), x => Assert.Equal($"{x.i}:{new string('v', 500)}", x.item.AsString()));
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Ten_thousand_concurrent_increments_on_one_connection_count_exactly_and_each_sees_its_own_value()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var key = RedisTesting.Key("counter");

        var tasks = Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
        {
            var seen = new List<long>();
            for (var i = 0; i < 100; i++)
            {
                seen.Add((await redis.ExecuteAsync("INCR", key)).AsInt64());
            }

            return seen;
        }));
        var results = (await Task.WhenAll(tasks)).SelectMany(s => s).Order().ToArray();

        Assert.Equal(10_000, (await redis.ExecuteAsync("GET", key)).AsInt64());
        // Every INCR returns a different number: 1..10000 each once means no reply went to the wrong caller.
        Assert.Equal(Enumerable.Range(1, 10_000).Select(i => (long)i), results);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Concurrent_set_and_get_pairs_each_see_their_own_value()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync(o => o.MaxPendingCommands = 64);
        var prefix = RedisTesting.Key("pair");

        var mismatches = await Task.WhenAll(Enumerable.Range(0, 2_000).Select(async i =>
        {
            var value = $"value-{i}-" + new string('x', i % 300);
            await redis.ExecuteAsync("SET", $"{prefix}:{i}", value);
            var back = (await redis.ExecuteAsync("GET", $"{prefix}:{i}")).AsString();
            return back == value ? 0 : 1;
        }));

        Assert.Equal(0, mismatches.Sum());
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_canceled_caller_stops_waiting_without_breaking_the_connection_or_shifting_replies()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var list = RedisTesting.Key("list");
        using var cancel = new CancellationTokenSource();

        var blocked = redis.ExecuteAsync(["BLPOP", list, 1], cancel.Token);
        var behind = redis.ExecuteAsync("ECHO", "mine");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        // The BLPOP still runs on the server; its reply is dropped, and the next reply is ECHO's own.
        Assert.Equal("mine", (await behind).AsString());
        Assert.Equal("again", (await redis.ExecuteAsync("ECHO", "again")).AsString());
        Assert.True(redis.IsConnected);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_server_error_fails_only_its_own_command()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var list = RedisTesting.Key("list");
        await redis.ExecuteAsync("RPUSH", list, "a");

        var before = redis.ExecuteAsync("PING");
        var unknown = redis.ExecuteAsync("NOSUCHCOMMAND", "x");
        var wrongType = redis.ExecuteAsync("INCR", list);
        var after = redis.ExecuteAsync("LLEN", list);

        Assert.Equal("PONG", (await before).AsString());
        var error = await Assert.ThrowsAsync<RedisErrorException>(() => unknown);
        Assert.Equal("ERR", error.Kind);
        Assert.Contains("unknown command", error.Message, StringComparison.Ordinal);
        Assert.Equal("WRONGTYPE", (await Assert.ThrowsAsync<RedisErrorException>(() => wrongType)).Kind);
        Assert.Equal(1, (await after).AsInt64());
        Assert.True(redis.IsConnected);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Nested_replies_and_transactions_parse()
    {
        // MULTI/EXEC is safe here because no other caller shares this connection.
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var key = RedisTesting.Key("tx");

        var multi = redis.ExecuteAsync("MULTI");
        var queuedSet = redis.ExecuteAsync("SET", key, "5");
        var queuedIncr = redis.ExecuteAsync("INCRBY", key, 10);
        var queuedBad = redis.ExecuteAsync("LPUSH", key, "x");
        var exec = await redis.ExecuteAsync("EXEC");

        Assert.Equal("OK", (await multi).AsString());
        Assert.Equal("QUEUED", (await queuedSet).AsString());
        Assert.Equal("QUEUED", (await queuedIncr).AsString());
        Assert.Equal("QUEUED", (await queuedBad).AsString());
        var results = exec.AsArray();
        Assert.Equal("OK", results[0].AsString());
        Assert.Equal(15, results[1].AsInt64());
        Assert.Equal(RedisReplyKind.Error, results[2].Kind);
        Assert.Equal("WRONGTYPE", Assert.Throws<RedisErrorException>(() => results[2].AsInt64()).Kind);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Pending_commands_beyond_the_limit_wait_for_a_slot_and_all_complete()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync(o => o.MaxPendingCommands = 4);
        var key = RedisTesting.Key("bounded");

        var replies = await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => redis.ExecuteAsync("INCR", key)));

        Assert.Equal(500, replies.Max(r => r.AsInt64()));
        Assert.Equal(Encoding.ASCII.GetBytes("500"), (await redis.ExecuteAsync("GET", key)).AsBytes().ToArray());
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_caller_waits_while_the_pending_limit_is_reached_and_its_timeout_does_not_break_the_connection()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync(o => o.MaxPendingCommands = 2);
        var key = RedisTesting.Key("empty-list");

        var blocked = redis.ExecuteAsync(["BLPOP", key, 1], TimeSpan.FromSeconds(10), CancellationToken.None);
        var queued = redis.ExecuteAsync("PING");
        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => redis.ExecuteAsync(["PING"], TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Contains("pending-command slots", error.Message, StringComparison.Ordinal);
        Assert.True((await blocked).IsNull);
        Assert.Equal("PONG", (await queued).AsString());
        Assert.True(redis.IsConnected);
    }
}
