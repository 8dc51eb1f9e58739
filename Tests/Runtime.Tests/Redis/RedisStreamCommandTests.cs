using System.Diagnostics;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Tests.Redis;

/// <summary>The stream commands the Redis Streams provider will need, and a blocking read on a connection of its own.</summary>
public sealed class RedisStreamCommandTests
{
    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_blocking_xreadgroup_on_its_own_connection_does_not_stall_another_connection()
    {
        await using var consumer = await RedisTesting.ConnectSharedAsync(o => o.CommandTimeout = TimeSpan.FromSeconds(20));
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var stream = RedisTesting.Key("stream");
        Assert.Equal("OK", (await redis.ExecuteAsync("XGROUP", "CREATE", stream, "g", "$", "MKSTREAM")).AsString());
        var duplicate = await Assert.ThrowsAsync<RedisErrorException>(() => redis.ExecuteAsync("XGROUP", "CREATE", stream, "g", "$"));
        Assert.Equal("BUSYGROUP", duplicate.Kind);

        var read = consumer.ExecuteAsync("XREADGROUP", "GROUP", "g", "c1", "COUNT", 10, "BLOCK", 10_000, "STREAMS", stream, ">");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            await redis.ExecuteAsync("INCR", stream + ":other");
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"200 commands took {clock.Elapsed} beside a blocked read");
        Assert.False(read.IsCompleted);
        var id = (await redis.ExecuteAsync("XADD", stream, "*", "field", "value")).AsString();

        var reply = await read;
        var (name, entries) = (reply.AsArray()[0].AsArray()[0].AsString(), reply.AsArray()[0].AsArray()[1].AsArray());
        Assert.Equal(stream, name);
        Assert.Equal(id, entries[0].AsArray()[0].AsString());
        Assert.Equal(["field", "value"], entries[0].AsArray()[1].AsArray().Select(r => r.AsString()));
        Assert.Equal(1, (await redis.ExecuteAsync("XPENDING", stream, "g")).AsArray()[0].AsInt64());
        Assert.Equal(1, (await redis.ExecuteAsync("XACK", stream, "g", id!)).AsInt64());
        Assert.Equal(0, (await redis.ExecuteAsync("XPENDING", stream, "g")).AsArray()[0].AsInt64());
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task An_expired_block_is_a_null_array_and_autoclaim_and_trim_replies_parse()
    {
        await using var consumer = await RedisTesting.ConnectSharedAsync();
        var stream = RedisTesting.Key("stream");
        await consumer.ExecuteAsync("XGROUP", "CREATE", stream, "g", "0", "MKSTREAM");

        Assert.True((await consumer.ExecuteAsync("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 50, "STREAMS", stream, ">")).IsNull);

        for (var i = 0; i < 5; i++)
        {
            await consumer.ExecuteAsync("XADD", stream, "*", "n", i);
        }

        await consumer.ExecuteAsync("XREADGROUP", "GROUP", "g", "c1", "COUNT", 3, "STREAMS", stream, ">");
        var claimed = (await consumer.ExecuteAsync("XAUTOCLAIM", stream, "g", "c2", 0, "0-0", "COUNT", 10)).AsArray();
        Assert.Equal("0-0", claimed[0].AsString());
        Assert.Equal(["0", "1", "2"], claimed[1].AsArray().Select(e => e.AsArray()[1].AsArray()[1].AsString()));
        var pending = (await consumer.ExecuteAsync("XPENDING", stream, "g", "-", "+", 10, "c2")).AsArray();
        Assert.Equal(3, pending.Count);
        Assert.Equal(2, (await consumer.ExecuteAsync("XTRIM", stream, "MAXLEN", 3)).AsInt64());
        Assert.Equal(3, (await consumer.ExecuteAsync("XLEN", stream)).AsInt64());
    }
}
