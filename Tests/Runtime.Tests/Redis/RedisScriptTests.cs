using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Runtime.Tests.Redis;

public sealed class RedisScriptTests
{
    /// <summary>Compare-and-bump of a version, the way a membership table will use it.</summary>
    private static readonly RedisScript BumpVersion = new("""
        local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
        if current ~= tonumber(ARGV[1]) then
          return redis.error_reply('STALE version is ' .. current)
        end
        redis.call('HSET', KEYS[1], 'version', current + 1, 'data', ARGV[2])
        return current + 1
        """);

    [Fact]
    public void The_sha1_is_the_one_redis_uses()
    {
        // SHA1("return 1"), as `redis-cli SCRIPT LOAD "return 1"` prints it.
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new RedisScript("return 1").Sha1);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Falls_back_to_eval_when_the_server_does_not_know_the_script_and_then_it_does()
    {
        // A private server: SCRIPT FLUSH must not disturb the other tests' scripts.
        await using var server = await RedisServer.StartAsync();
        await using var redis = RedisTesting.Connect(server);
        var script = new RedisScript("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}");

        Assert.Equal(0, (await redis.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1)).AsArray()[0].AsInt64());
        var first = await script.EvaluateAsync(redis, ["k"], ["a", 21]);
        Assert.Equal(1, (await redis.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1)).AsArray()[0].AsInt64());
        var second = await script.EvaluateAsync(redis, ["k"], ["b", 1]);
        await redis.ExecuteAsync("SCRIPT", "FLUSH");
        var afterFlush = await script.EvaluateAsync(redis, ["k"], ["c", 2]);

        Assert.Equal(["k", "a"], first.AsArray().Take(2).Select(r => r.AsString()));
        Assert.Equal(42, first.AsArray()[2].AsInt64());
        Assert.Equal("b", second.AsArray()[1].AsString());
        Assert.Equal(4, afterFlush.AsArray()[2].AsInt64());
        var stats = (await redis.ExecuteAsync("INFO", "commandstats")).AsString()!;
        Assert.Contains("cmdstat_evalsha:calls=3", stats, StringComparison.Ordinal);
        Assert.Contains("cmdstat_eval:calls=2", stats, StringComparison.Ordinal);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_script_bumps_a_version_atomically_and_only_one_of_many_racing_writers_wins()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync();
        var key = RedisTesting.Key("membership");

        for (var version = 0; version < 5; version++)
        {
            Assert.Equal(version + 1, (await BumpVersion.EvaluateAsync(redis, [key], [version, $"data-{version}"])).AsInt64());
        }

        var race = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            try
            {
                return (await BumpVersion.EvaluateAsync(redis, [key], [5, $"racer-{i}"])).AsInt64();
            }
            catch (RedisErrorException error) when (error.Kind == "STALE")
            {
                Assert.Equal("STALE version is 6", error.Message);
                return 0;
            }
        }));

        Assert.Equal([6L], race.Where(v => v != 0));
        Assert.Equal("6", (await redis.ExecuteAsync("HGET", key, "version")).AsString());
    }
}
