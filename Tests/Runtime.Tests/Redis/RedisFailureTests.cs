using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Runtime.Tests.Redis;

/// <summary>Restarts, passwords, timeouts and malformed replies: the connection fails what it must and then recovers.</summary>
public sealed class RedisFailureTests
{
    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_server_restart_fails_the_pending_commands_and_later_commands_reconnect()
    {
        await using var server = await RedisServer.StartAsync();
        var logger = new RecordingLogger<RedisConnection>();
        await using var redis = RedisTesting.Connect(server, o => o.CommandTimeout = TimeSpan.FromSeconds(30), logger);
        Assert.Equal("OK", (await redis.ExecuteAsync("SET", "k", "before")).AsString());

        // BLPOP holds every command behind it on this connection: they are all in flight when the server stops.
        var pending = new List<Task<RedisReply>> { redis.ExecuteAsync("BLPOP", "empty", 25) };
        pending.AddRange(Enumerable.Range(0, 20).Select(_ => redis.ExecuteAsync("GET", "k")));
        await Task.Delay(200);
        Assert.All(pending, t => Assert.False(t.IsCompleted));
        await server.StopAsync();

        foreach (var command in pending)
        {
            await Assert.ThrowsAsync<RedisConnectionException>(() => command);
        }

        Assert.False(redis.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.ExecuteAsync("GET", "k"));

        await server.StartAgainAsync();
        Assert.Equal("OK", (await redis.ExecuteAsync("SET", "k", "after")).AsString());
        Assert.Equal("after", (await redis.ExecuteAsync("GET", "k")).AsString());
        Assert.Contains(logger.Lines, l => l.StartsWith($"Warning: Lost the connection to Redis at {server.Endpoint}", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith($"Warning: Connecting to Redis at {server.Endpoint} failed", StringComparison.Ordinal));
        Assert.Equal(2, logger.Lines.Count(l => l.StartsWith($"Information: Connected to Redis at {server.Endpoint}", StringComparison.Ordinal)));
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Busy_callers_through_server_crashes_each_get_a_reply_or_a_connection_error_and_none_hangs()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = RedisTesting.Connect(server, o => o.CommandTimeout = TimeSpan.FromSeconds(10));
        var stop = 0;
        var outcomes = new int[3];
        var callers = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                try
                {
                    await redis.ExecuteAsync("INCR", "n");
                    Interlocked.Increment(ref outcomes[0]);
                }
                catch (RedisConnectionException)
                {
                    Interlocked.Increment(ref outcomes[1]);
                    await Task.Delay(10);
                }
            }
        })).ToArray();

        for (var crash = 0; crash < 3; crash++)
        {
            await Task.Delay(300);
            await server.KillAsync();
            await Task.Delay(100);
            await server.StartAgainAsync();
        }

        await Task.Delay(500);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(outcomes[0] > 0 && outcomes[1] > 0, $"replies {outcomes[0]}, connection errors {outcomes[1]}");
        Assert.Equal("PONG", (await redis.ExecuteAsync("PING")).AsString());
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Reconnecting_to_a_stopped_server_backs_off_instead_of_looping()
    {
        await using var server = await RedisServer.StartAsync();
        var logger = new RecordingLogger<RedisConnection>();
        await using var redis = RedisTesting.Connect(server, logger: logger);
        await redis.ConnectAsync(CancellationToken.None);
        await server.StopAsync();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
        var failures = 0;
        while (DateTime.UtcNow < deadline)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => redis.ExecuteAsync("PING"));
            failures++;
        }

        // Back-off 100, 200, 400, 800 ms: at most a handful of connection attempts in 1.5 s, however many commands.
        var attempts = logger.Lines.Count(l => l.Contains("failed (attempt", StringComparison.Ordinal));
        Assert.InRange(attempts, 1, 6);
        Assert.True(failures >= attempts);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Auth_and_select_come_from_the_options_and_a_wrong_password_is_a_clear_error_without_it()
    {
        const string password = "correct-horse-battery-staple";
        await using var server = await RedisServer.StartAsync(appendOnly: false, password);
        var logger = new RecordingLogger<RedisConnection>();
        await using (var database3 = RedisTesting.Connect(server, o => o.Database = 3, logger))
        {
            Assert.Equal("OK", (await database3.ExecuteAsync("SET", "where", "three")).AsString());
        }

        await using (var database0 = RedisTesting.Connect(server))
        {
            Assert.True((await database0.ExecuteAsync("GET", "where")).IsNull);
        }

        await using (var wrong = RedisTesting.Connect(server, o => o.Password = "wrong-password-7", logger))
        {
            var error = await Assert.ThrowsAsync<RedisConnectionException>(() => wrong.ExecuteAsync("PING"));
            Assert.Contains("refused the password (AUTH): WRONGPASS", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong-password-7", error.ToString(), StringComparison.Ordinal);
        }

        await using (var none = RedisTesting.Connect(server, o => o.Password = null))
        {
            Assert.Equal("NOAUTH", (await Assert.ThrowsAsync<RedisErrorException>(() => none.ExecuteAsync("PING"))).Kind);
        }

        Assert.NotEmpty(logger.Lines);
        Assert.All(logger.Lines, l => Assert.DoesNotContain("wrong-password-7", l, StringComparison.Ordinal));
        Assert.All(logger.Lines, l => Assert.DoesNotContain(password, l, StringComparison.Ordinal));
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_command_timeout_fails_its_caller_closes_the_connection_and_the_next_command_reconnects()
    {
        await using var redis = await RedisTesting.ConnectSharedAsync(o => o.CommandTimeout = TimeSpan.FromMilliseconds(200));
        var key = RedisTesting.Key("never-filled");

        // BLPOP for 2 s stands in for a server that does not answer in time.
        var slow = redis.ExecuteAsync("BLPOP", key, 2);
        var behind = redis.ExecuteAsync(["PING"], TimeSpan.FromSeconds(10), CancellationToken.None);
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => slow);

        Assert.Contains("BLPOP got no reply", timeout.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RedisConnectionException>(() => behind);
        Assert.Equal("PONG", (await redis.ExecuteAsync(["PING"], TimeSpan.FromSeconds(10), CancellationToken.None)).AsString());
        Assert.True(redis.IsConnected);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task A_server_that_never_answers_times_out_instead_of_hanging()
    {
        await using var server = new FakeRedisServer(answers: [null]);
        await using var redis = new RedisConnection(new RedisOptions { Endpoint = server.Endpoint, CommandTimeout = TimeSpan.FromMilliseconds(300) });

        await Assert.ThrowsAsync<TimeoutException>(() => redis.ExecuteAsync("PING"));
        Assert.False(redis.IsConnected);
    }

    [Theory(Timeout = RedisTesting.Timeout)]
    [InlineData("?what\r\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("*2\r\n:1\r\n:x\r\n")]
    public async Task A_malformed_reply_is_a_protocol_exception_that_closes_the_connection_and_the_next_command_reconnects(string answer)
    {
        await using var server = new FakeRedisServer(System.Text.Encoding.ASCII.GetBytes(answer), "+PONG\r\n"u8.ToArray());
        await using var redis = new RedisConnection(new RedisOptions { Endpoint = server.Endpoint });

        var error = await Assert.ThrowsAsync<RedisProtocolException>(() => redis.ExecuteAsync("PING"));
        Assert.Contains("Malformed RESP2 reply", error.Message, StringComparison.Ordinal);
        Assert.False(redis.IsConnected);

        Assert.Equal("PONG", (await redis.ExecuteAsync("PING")).AsString());
        Assert.Equal(2, server.Connections);
    }

    [Fact(Timeout = RedisTesting.Timeout)]
    public async Task Nothing_listening_is_a_connection_exception_naming_the_endpoint()
    {
        var endpoint = $"127.0.0.1:{FreePort.Get()}";
        await using var redis = new RedisConnection(new RedisOptions { Endpoint = endpoint });

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.ExecuteAsync("PING"));

        Assert.Contains($"Could not connect to Redis at {endpoint}", error.Message, StringComparison.Ordinal);
    }
}
