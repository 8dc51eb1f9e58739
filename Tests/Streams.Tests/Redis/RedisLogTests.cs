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

    private readonly string keyPrefix = $"redislog-{Guid.NewGuid():N}";
    private readonly ServiceProvider services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(RedisLog).Assembly).AddAssembly(typeof(TestEvent).Assembly))
        .BuildServiceProvider();

    private readonly List<RedisLog> logs = [];
    private RedisServer? server;

    private LogRecordCodec Codec => new(services.GetRequiredService<Serializer>());

    public async Task InitializeAsync() => server = await SharedServers.Redis;

    public async Task DisposeAsync()
    {
        foreach (var log in logs)
        {
            await log.DisposeAsync();
        }

        await services.DisposeAsync();
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
            Assert.Equal(i + 1, (long)entries[i]["offset"]);
            Assert.Equal(TestNamespaces.Source, (string?)entries[i]["namespace"]);
            Assert.Equal("s1", (string?)entries[i]["key"]);
            var body = Codec.Decode((byte[])entries[i]["payload"]!);
            Assert.Equal(i, Assert.IsType<TestEvent>(Assert.Single(body.Events)).Counter);
        }

        var second = await OpenAsync();
        Assert.Equal(5, await second.GetEndAsync(1, CancellationToken.None));
        Assert.Equal(0, await second.GetEndAsync(0, CancellationToken.None));
        Assert.Equal(6, await AppendAsync(second, queue: 1, "s1", 5));
    }

    [Fact]
    public async Task Pending_entries_of_a_consumer_that_went_away_are_delivered_by_the_next_one()
    {
        var log = await OpenAsync();
        for (var i = 0; i < 6; i++)
        {
            await AppendAsync(log, queue: 2, "s2", i);
        }

        // The first owner reads everything, gets two records delivered, and goes away.
        var first = new RedisQueueReceiver(log, Reader, 2, "silo-a", Codec, NullLogger.Instance);
        await first.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var read = await ReadAllAsync(first);
        Assert.Equal([1L, 2, 3, 4, 5, 6], read.Select(container => container.Offset));
        await first.MessagesDeliveredAsync([.. read.Take(2)], CancellationToken.None);
        Assert.Equal(2, await log.GetCheckpointAsync(Reader.ProviderName, 2, CancellationToken.None));

        // The next owner (another silo) takes over what the first one left pending.
        var second = new RedisQueueReceiver(log, Reader, 2, "silo-b", Codec, NullLogger.Instance);
        await second.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
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

    [Fact]
    public async Task Other_namespaces_are_skipped_and_the_checkpoint_moves_past_them()
    {
        var log = await OpenAsync();
        await AppendAsync(log, queue: 0, "s0", 0);
        await log.AppendAsync(0, StreamId.Create(TestNamespaces.Other, "x"), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("r", "x", 0) }, null)));
        await log.AppendAsync(0, StreamId.Create(TestNamespaces.Other, "x"), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("r", "x", 1) }, null)));

        var receiver = new RedisQueueReceiver(log, Reader, 0, "silo-a", Codec, NullLogger.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
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

        var receiver = new RedisQueueReceiver(log, Reader, 3, "silo-a", Codec, NullLogger.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
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

    private RedisLog Create(int queues = 4)
    {
        var log = new RedisLog(
            new RedisLogOptions { Configuration = server!.Endpoint, KeyPrefix = keyPrefix, Queues = queues, TrimPeriod = TimeSpan.Zero },
            [Reader.ProviderName],
            NullLogger.Instance);
        logs.Add(log);
        return log;
    }

    private async Task<RedisLog> OpenAsync(int queues = 4)
    {
        var log = Create(queues);
        await log.OpenAsync(CancellationToken.None);
        return log;
    }

    private Task<long> AppendAsync(RedisLog log, int queue, string key, int counter) =>
        log.AppendAsync(queue, StreamId.Create(TestNamespaces.Source, key), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("run", key, counter) }, null)));

    private static async Task<List<LogBatchContainer>> ReadAllAsync(RedisQueueReceiver receiver)
    {
        var all = new List<LogBatchContainer>();
        for (var i = 0; i < 4; i++)
        {
            all.AddRange((await receiver.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<LogBatchContainer>());
        }

        return all;
    }
}
