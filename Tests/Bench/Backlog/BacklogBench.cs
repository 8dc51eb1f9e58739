using System.Diagnostics;
using ChatCluster.Grains;
using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Postgres;
using ChatCluster.Grains.Timelines;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Redis;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatCluster.Bench.Backlog;

/// <summary>
/// Backlog drain: phase 1 publishes <c>messages</c> timeline events, as the user grains do, to the Redis Streams
/// provider with no consumer running (spread over <c>timelines</c> user timelines, seq increasing per timeline);
/// phase 2 starts the persistence handler group the way a silo registers it (<c>AddChat</c>, PostgreSQL message
/// store, the silo's batch size) and times it until the group's checkpoint is at the end of every partition and
/// the messages table holds every message.
/// </summary>
internal static class BacklogBench
{
    private const string Body = """{"text":"a message from the backlog bench, about the size of a short chat line"}""";

    /// <param name="Messages">Events in the backlog.</param>
    /// <param name="Timelines">User timelines they are spread over.</param>
    /// <param name="Publishers">Publisher loops; loop j owns the timelines t with t mod Publishers = j.</param>
    /// <param name="BatchSize">The persistence handler's batch size; null for the silo's.</param>
    /// <param name="RedisEndpoint">A Redis to use; null to start a private one with AOF.</param>
    /// <param name="Postgres">A PostgreSQL connection string to use; null to start a private server.</param>
    /// <param name="ProgressEvery">Time between progress lines.</param>
    public sealed record Settings(int Messages, int Timelines, int Publishers, int? BatchSize, string? RedisEndpoint, string? Postgres, TimeSpan ProgressEvery);

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        // Private servers unless given: redis-server with appendonly yes (everysec), as `streams --provider redis` and
        // infra/cluster.sh run it; PostgreSQL 15 as the test fixtures run it (fsync off, synchronous_commit off).
        await using var redisServer = settings.RedisEndpoint is null ? await RedisServer.StartAsync(appendOnly: true) : null;
        await using var postgresServer = settings.Postgres is null ? await PostgresServer.StartAsync() : null;
        var endpoint = settings.RedisEndpoint ?? redisServer!.Endpoint;
        var connectionString = settings.Postgres ?? postgresServer!.ConnectionString;
        var prefix = $"backlog-{Guid.NewGuid():N}"[..20];
        var streamOptions = new RedisStreamOptions();
        output.WriteLine($"backlog: {settings.Messages:N0} messages over {settings.Timelines:N0} timelines, {settings.Publishers:N0} publishers, "
            + $"{streamOptions.Partitions} partitions, {Environment.ProcessorCount} cores; Redis {endpoint}{(redisServer is null ? "" : " (private, appendonly yes)")}, "
            + $"PostgreSQL 127.0.0.1:{new NpgsqlConnectionStringBuilder(connectionString).Port}{(postgresServer is null ? "" : " (private, fsync off)")}; load {LoadAverage()}");

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new PostgresMessageStore(dataSource).InitializeAsync(CancellationToken.None);
        if (await CountAsync(dataSource) is var existing and not 0)
        {
            await Console.Error.WriteLineAsync($"The messages table already holds {existing:N0} rows: give --postgres an empty database.");
            return 2;
        }

        // Phase 1: the backlog, published with no consumer group in Redis yet.
        var ends = await PublishAsync(settings, endpoint, prefix, output);

        // Phase 2: the persistence handler group, as a silo registers it.
        var drained = await DrainAsync(settings, endpoint, prefix, connectionString, dataSource, ends, output);
        output.WriteLine($"load {LoadAverage()}");
        return drained ? 0 : 1;
    }

    private static void ConfigureStreams(RedisStreamOptions options, string prefix)
    {
        options.KeyPrefix = prefix;
        options.ConsumerName = "backlog-bench";
    }

    private static async Task<StreamPosition[]> PublishAsync(Settings settings, string endpoint, string prefix, TextWriter output)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        services.AddGrainRuntime().AddMemoryGrainStorage().AddRedisStreams(null, o => ConfigureStreams(o, prefix), r => r.Endpoint = endpoint);
        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<GrainRuntime>();
        await runtime.StartAsync(CancellationToken.None);
        var publisher = provider.GetRequiredService<StreamPublisher>();
        var streams = provider.GetRequiredService<IStreamProvider>();

        long published = 0;
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var stopwatch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, settings.Publishers).Select(j => Task.Run(async () =>
        {
            // Message k goes to timeline k mod T with seq k / T + 1; since P divides T, loop j alone owns its timelines,
            // and awaiting each publish keeps every timeline's events in seq order, as a grain's turn does.
            for (var k = j; k < settings.Messages; k += settings.Publishers)
            {
                var timeline = k % settings.Timelines;
                await publisher.PublishAsync(new StreamId(TimelineEvent.Namespace, $"user:bl{timeline}"), EventOf(k, settings.Timelines, ts));
                Interlocked.Increment(ref published);
            }
        })).ToArray();
        var all = Task.WhenAll(loops);
        while (await Task.WhenAny(all, Task.Delay(settings.ProgressEvery)) != all)
        {
            var now = Interlocked.Read(ref published);
            output.WriteLine($"  publish: {now:N0} published, {stopwatch.Elapsed.TotalSeconds:F1} s, {now / stopwatch.Elapsed.TotalSeconds:N0}/s");
        }

        await all;
        var seconds = stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"phase 1: published {settings.Messages:N0} in {seconds:F2} s = {settings.Messages / seconds:N0} events/s (durable: XADD acknowledged); load {LoadAverage()}");

        var ends = new StreamPosition[streams.Partitions];
        for (var p = 0; p < ends.Length; p++)
        {
            ends[p] = await streams.GetEndAsync(TimelineEvent.Namespace, p, CancellationToken.None);
        }

        await runtime.StopAsync(CancellationToken.None);
        return ends;
    }

    private static async Task<bool> DrainAsync(
        Settings settings, string endpoint, string prefix, string connectionString, NpgsqlDataSource dataSource, StreamPosition[] ends, TextWriter output)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var builder = services.AddGrainRuntime().AddMemoryGrainStorage()
            .AddPostgresMessageStore(connectionString)
            .AddRedisStreams(null, o => ConfigureStreams(o, prefix), r => r.Endpoint = endpoint);
        if (settings.BatchSize is { } batchSize)
        {
            // The same handler class and group that AddChat registers, registered here with another batch size.
            builder.AddStreamHandler<PersistenceHandler, TimelineEvent>(TimelineEvent.Namespace, PersistenceHandler.Group, o => o.BatchSize = batchSize);
        }
        else
        {
            builder.AddChat(); // as the silo does: grains and the persistence handler with its default options
        }

        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<GrainRuntime>();
        var streams = provider.GetRequiredService<IStreamProvider>();
        output.WriteLine($"phase 2: persistence handler group '{PersistenceHandler.Group}' on all {ends.Length} partitions (one silo), "
            + $"batch size {settings.BatchSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"{new StreamHandlerOptions().BatchSize} (the silo's)"}");

        var stopwatch = Stopwatch.StartNew();
        await runtime.StartAsync(CancellationToken.None);
        var lastProgress = TimeSpan.Zero;
        long lastRows = 0;
        double? caughtUp = null;
        long rows = 0;
        var deadline = TimeSpan.FromMinutes(15);
        while (stopwatch.Elapsed < deadline)
        {
            if (caughtUp is null && await AllAcknowledgedAsync(streams, ends))
            {
                caughtUp = stopwatch.Elapsed.TotalSeconds;
            }

            if (caughtUp is not null)
            {
                rows = await CountAsync(dataSource);
                if (rows >= settings.Messages)
                {
                    break;
                }
            }

            if (stopwatch.Elapsed - lastProgress >= settings.ProgressEvery)
            {
                rows = await CountAsync(dataSource);
                var now = stopwatch.Elapsed;
                output.WriteLine($"  drain: {rows:N0} rows stored, {now.TotalSeconds:F1} s, {(rows - lastRows) / (now - lastProgress).TotalSeconds:N0} rows/s lately, "
                    + $"{rows / now.TotalSeconds:N0} rows/s overall; load {LoadAverage()}");
                (lastProgress, lastRows) = (now, rows);
            }

            await Task.Delay(100);
        }

        var total = stopwatch.Elapsed.TotalSeconds;
        await runtime.StopAsync(CancellationToken.None);
        if (caughtUp is null || rows < settings.Messages)
        {
            output.WriteLine($"phase 2: NOT drained within {deadline}: {rows:N0} of {settings.Messages:N0} rows, checkpoints {(caughtUp is null ? "behind" : "at the end")}");
            return false;
        }

        output.WriteLine($"phase 2: drained {rows:N0} rows in {total:F2} s = {rows / total:N0} rows/s "
            + $"(checkpoints at the end of every partition after {caughtUp:F2} s; SELECT count(*) = {rows:N0}); goal: under 60 s");
        return rows == settings.Messages;
    }

    private static async Task<bool> AllAcknowledgedAsync(IStreamProvider streams, StreamPosition[] ends)
    {
        for (var p = 0; p < ends.Length; p++)
        {
            if (await streams.GetAcknowledgedAsync(PersistenceHandler.Group, TimelineEvent.Namespace, p, CancellationToken.None) < ends[p])
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM messages");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A direct message's copy in timeline <c>user:blT</c>, as <c>UserGrain</c> builds it: odd seqs are the owner's
    /// own sends (to the next user, with the sending connection as origin), even ones a message from the previous user.
    /// </summary>
    private static TimelineEvent EventOf(int k, int timelines, long ts)
    {
        var t = k % timelines;
        var seq = (long)(k / timelines) + 1;
        var timeline = $"user:bl{t}";
        var msgId = Guid.CreateVersion7().ToString("N");
        return seq % 2 == 1
            ? new TimelineEvent(new ChatMessage(timeline, seq, msgId, $"bl{t}", $"user:bl{(t + 1) % timelines}", $"c{k}", MessageKind.User, Body, ts + k / 1000),
                new Session("bench-gateway", $"conn-{t}"))
            : new TimelineEvent(new ChatMessage(timeline, seq, msgId, $"bl{(t + timelines - 1) % timelines}", timeline, $"c{k}", MessageKind.User, Body, ts + k / 1000), null);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
