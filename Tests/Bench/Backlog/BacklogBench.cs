using System.Diagnostics;
using System.Globalization;
using ChatCluster.Gateway.Cluster;
using ChatCluster.Grains;
using ChatCluster.Silo.Configuration;
using ChatCluster.Storage;
using ChatCluster.Streams;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace ChatCluster.Bench.Backlog;

/// <summary>
/// Backlog drain on Orleans: phase 1 publishes <c>messages</c> timeline events, as the user grains build them, through
/// the write-only provider of the log, Redis Streams or Kafka (a silo in this process with no reader, so no consumer
/// group exists), spread over <c>timelines</c> user timelines with seq increasing per timeline; phase 2 starts a silo wired as
/// the silo process wires it (<c>AddEmbeddedChatSilo</c>: PostgreSQL grain state and message store, the log in Redis
/// Streams or Kafka with the <c>persist</c> and <c>push</c> groups) on the same streams, and times it until every partition's
/// persistence grain has stored its partition's last offset and <c>SELECT count(*) FROM messages</c> is the backlog.
/// </summary>
internal static class BacklogBench
{
    private const string ClusterId = "backlog";

    // How long to wait for missing rows once every persistence grain says it has stored everything.
    private static readonly TimeSpan MissingRowsWait = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(BacklogSettings settings, TextWriter output)
    {
        // Private servers unless given: redis-server with appendonly yes (everysec), as `streams --provider redis` runs it;
        // PostgreSQL as the test fixtures run it (fsync off, synchronous_commit off).
        var kafka = settings.Provider == "kafka";
        await using var redisServer = !kafka && settings.RedisEndpoint is null ? await RedisServer.StartAsync(appendOnly: true) : null;
        await using var postgresServer = settings.Postgres is null ? await PostgresServer.StartAsync() : null;
        var endpoint = settings.RedisEndpoint ?? redisServer?.Endpoint;
        var connectionString = settings.Postgres ?? await postgresServer!.CreateUniqueDatabaseAsync("backlog");
        // A cluster id of its own, so the log's keys (chatcluster:{id}:…) are new even on a given Redis.
        var clusterId = $"{ClusterId}-{Guid.NewGuid():N}"[..20];
        var configuration = new Dictionary<string, string?>
        {
            ["ChatCluster:Storage:Provider"] = "Postgres",
            ["ChatCluster:Storage:PostgresConnectionString"] = connectionString,
            ["ChatCluster:Cluster:ClusterId"] = clusterId,
        };
        if (settings.Partitions is { } count)
        {
            configuration["ChatCluster:Streams:Partitions"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Kafka: the test broker (librdkafka's in-memory mock cluster, 3 brokers, in a process of its own), which cannot
        // create topics through the admin API: the log's topic is created as it starts, with the silo's partition count.
        var partitions = SiloSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build()).Streams.Partitions;
        var topic = $"backlog-{clusterId}-log";
        await using var broker = kafka ? await KafkaTestBroker.StartAsync([(topic, partitions), ($"{topic}-dead-letters", 1)]) : null;
        if (kafka)
        {
            configuration["ChatCluster:Streams:Provider"] = "Kafka";
            configuration["ChatCluster:Kafka:BootstrapServers"] = broker!.BootstrapServers;
            configuration["ChatCluster:Kafka:Topic"] = topic;

            // The test broker holds a fetch for its whole wait even when records arrive (a real broker answers at once).
            configuration["ChatCluster:Kafka:FetchWait"] = "00:00:00.005";
        }
        else
        {
            configuration["ChatCluster:Streams:Provider"] = "Redis";
            configuration["ChatCluster:Redis:Configuration"] = endpoint;
        }

        var siloSettings = SiloSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        var log = kafka
            ? $"Kafka {broker!.BootstrapServers} (the test broker: librdkafka's in-memory mock cluster, 3 brokers, acks=all; topic {topic})"
            : $"Redis {endpoint}{(redisServer is null ? "" : " (private, appendonly yes)")}";
        output.WriteLine($"backlog: {settings.Messages:N0} messages over {settings.Timelines:N0} timelines, {settings.Publishers:N0} publishers, "
            + $"{siloSettings.Streams.Partitions} partitions, {Environment.ProcessorCount} cores; {log}, "
            + $"PostgreSQL 127.0.0.1:{new NpgsqlConnectionStringBuilder(connectionString).Port}{(postgresServer is null ? "" : " (private, fsync off)")}; load {LoadAverage.Now()}");

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        if (await CountAsync(dataSource) is var existing and not 0)
        {
            await Console.Error.WriteLineAsync($"The messages table already holds {existing:N0} rows: give --postgres an empty database.");
            return 2;
        }

        var ends = await PublishAsync(settings, siloSettings, output);
        var drained = await DrainAsync(settings, siloSettings, dataSource, ends, output);
        output.WriteLine($"load {LoadAverage.Now()}");
        return drained ? 0 : 1;
    }

    /// <summary>Phase 1: the backlog, published with no consumer group in the log yet; returns each partition's last offset.</summary>
    private static async Task<long[]> PublishAsync(BacklogSettings settings, SiloSettings siloSettings, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => AddLog(silo.UseLocalhostClustering(siloPort: FreePort.Get(), gatewayPort: 0), settings, siloSettings, trim: false));
        using var host = builder.Build();
        await host.StartAsync();
        var log = host.Services.GetRequiredService<IClusterClient>().GetStreamProvider(TimelineStreams.Provider);
        var streams = Enumerable.Range(0, settings.Timelines)
            .Select(t => log.GetStream<TimelineEvent>(StreamId.Create(TimelineStreams.Namespace, BacklogEvents.Timeline(t)))).ToArray();

        long published = 0;
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var stopwatch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, settings.Publishers).Select(j => Task.Run(async () =>
        {
            // Message k goes to timeline k mod T with seq k / T + 1; since P divides T, loop j alone owns its timelines,
            // and awaiting each publish keeps every timeline's events in seq order, as a grain's turn does.
            for (var k = j; k < settings.Messages; k += settings.Publishers)
            {
                await streams[k % settings.Timelines].OnNextAsync(BacklogEvents.Of(k, settings.Timelines, ts));
                Interlocked.Increment(ref published);
            }
        })).ToArray();
        var all = Task.WhenAll(loops);
        while (await Task.WhenAny(all, Task.Delay(settings.ProgressEvery)) != all)
        {
            var now = Interlocked.Read(ref published);
            output.WriteLine($"  publish: {now:N0} published, {stopwatch.Elapsed.TotalSeconds:F1} s, {now / stopwatch.Elapsed.TotalSeconds:N0}/s; load {LoadAverage.Now()}");
        }

        await all;
        var seconds = stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"phase 1: published {settings.Messages:N0} in {seconds:F2} s = {settings.Messages / seconds:N0} events/s "
            + (settings.Provider == "kafka" ? "(durable: acked by the test broker, acks=all)" : "(durable: the append script acknowledged by Redis)") + $"; load {LoadAverage.Now()}");

        var positions = host.Services.GetRequiredService<IStreamLog>();
        var ends = new long[positions.Queues];
        for (var q = 0; q < ends.Length; q++)
        {
            ends[q] = await positions.GetEndAsync(q, CancellationToken.None);
        }

        output.WriteLine($"  partition ends: {string.Join(", ", ends.Select(e => e.ToString("N0", CultureInfo.InvariantCulture)))} (sum {ends.Sum():N0})");
        await host.StopAsync();
        return ends;
    }

    /// <summary>Phase 2: a silo wired as the silo process wires it drains the backlog into PostgreSQL; true once every row is there.</summary>
    private static async Task<bool> DrainAsync(BacklogSettings settings, SiloSettings siloSettings, NpgsqlDataSource dataSource, long[] ends, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            if (settings.PersistOnly)
            {
                // AddChatSilo's wiring for this case, with the persist group alone.
                silo.UseLocalhostClustering(siloPort: FreePort.Get(), gatewayPort: 0, serviceId: ClusterIdentity.ServiceId, clusterId: ClusterIdentity.ServiceId);
                siloSettings.Runtime.ApplyTo(silo, clustered: false);
                var postgres = siloSettings.Storage.PooledPostgresConnectionString();
                silo.AddPostgresGrainStorage(ChatStorage.Name, postgres).AddPostgresMessageStore(postgres);
                AddLog(silo, settings, siloSettings, trim: true, ChatSiloBuilderExtensions.TimelineReaders.Where(r => r.ProviderName == TimelineStreams.PersistProvider).ToArray())
                    .AddChat(siloSettings.Chat);
            }
            else
            {
                silo.AddEmbeddedChatSilo(siloSettings);
            }

            if (settings.BatchSize is { } batchSize)
            {
                // After the wiring's own options, so it wins.
                silo.Services.AddOptions<StreamPullingAgentOptions>(TimelineStreams.PersistProvider).Configure(o => o.BatchContainerBatchSize = batchSize);
            }
        });
        using var host = builder.Build();
        var batch = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<StreamPullingAgentOptions>>().Get(TimelineStreams.PersistProvider).BatchContainerBatchSize;
        output.WriteLine($"phase 2: a silo with the {(settings.PersistOnly ? "persist group only" : "persist and push groups (as the silo wires them)")} "
            + $"on all {ends.Length} partitions, PostgreSQL message store, persist batch size {batch}{(settings.BatchSize is null ? " (the silo's)" : "")}");

        var stopwatch = Stopwatch.StartNew();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var stored = new bool[ends.Length];
        var lastProgress = TimeSpan.Zero;
        long lastRows = 0;
        double? allStored = null;
        long rows = 0;
        var deadline = TimeSpan.FromMinutes(15);
        while (stopwatch.Elapsed < deadline)
        {
            if (allStored is null)
            {
                // The read barrier's own question to each partition's persistence grain: has everything up to this offset been stored?
                var waits = Enumerable.Range(0, ends.Length).Where(q => !stored[q])
                    .Select(async q => stored[q] = await grains.GetGrain<IMessagePersistenceGrain>(q.ToString(CultureInfo.InvariantCulture))
                        .WaitUntilStored(ends[q], TimeSpan.FromMilliseconds(100)));
                await Task.WhenAll(waits);
                if (stored.All(s => s))
                {
                    allStored = stopwatch.Elapsed.TotalSeconds;
                }
            }

            if (allStored is not null)
            {
                rows = await CountAsync(dataSource);
                if (rows >= settings.Messages)
                {
                    break;
                }

                // Every partition's persistence grain says it stored past the last offset, yet rows are missing: they are
                // not coming (the readers skipped them), so there is no point waiting for the deadline.
                if (stopwatch.Elapsed.TotalSeconds - allStored > MissingRowsWait.TotalSeconds)
                {
                    break;
                }
            }

            if (stopwatch.Elapsed - lastProgress >= settings.ProgressEvery)
            {
                rows = await CountAsync(dataSource);
                var now = stopwatch.Elapsed;
                output.WriteLine($"  drain: {rows:N0} rows stored, {now.TotalSeconds:F1} s, {(rows - lastRows) / (now - lastProgress).TotalSeconds:N0} rows/s lately, "
                    + $"{rows / now.TotalSeconds:N0} rows/s overall; checkpoints {await CheckpointsAsync(host.Services.GetRequiredService<IStreamLog>(), settings, ends.Length)}; load {LoadAverage.Now()}");
                (lastProgress, lastRows) = (now, rows);
            }

            if (allStored is not null)
            {
                await Task.Delay(100);
            }
        }

        var total = stopwatch.Elapsed.TotalSeconds;
        var checkpoints = await CheckpointsAsync(host.Services.GetRequiredService<IStreamLog>(), settings, ends.Length);
        await host.StopAsync();
        if (allStored is not null && rows < settings.Messages)
        {
            output.WriteLine($"phase 2: NOT drained: every partition's persistence grain was past its last offset after {allStored:F2} s, but {MissingRowsWait.TotalSeconds:F0} s later "
                + $"only {rows:N0} of {settings.Messages:N0} rows are stored: {settings.Messages - rows:N0} messages were skipped by the persist reader (checkpoints {checkpoints})");
            return false;
        }

        if (allStored is null)
        {
            output.WriteLine($"phase 2: NOT drained within {deadline}: {rows:N0} of {settings.Messages:N0} rows, partitions stored {stored.Count(s => s)} of {ends.Length}");
            return false;
        }

        output.WriteLine($"phase 2: drained {rows:N0} rows in {total:F2} s = {rows / total:N0} rows/s "
            + $"(every partition's persistence grain past its last offset after {allStored:F2} s; SELECT count(*) = {rows:N0}); goal: under 60 s");
        output.WriteLine($"  checkpoints then (sums over partitions, of {ends.Sum():N0}; Orleans moves them in steps as its cache purges): {checkpoints}");
        return rows == settings.Messages;
    }

    /// <summary>Each group's checkpoints summed over the partitions, e.g. "persist 1,000, push 900".</summary>
    private static async Task<string> CheckpointsAsync(IStreamLog positions, BacklogSettings settings, int queues)
    {
        var checkpoints = new List<string>();
        foreach (var reader in settings.PersistOnly ? [TimelineStreams.PersistProvider] : new[] { TimelineStreams.PersistProvider, TimelineStreams.PushProvider })
        {
            long sum = 0;
            for (var q = 0; q < queues; q++)
            {
                sum += await positions.GetCheckpointAsync(reader, q, CancellationToken.None);
            }

            checkpoints.Add($"{reader} {sum:N0}");
        }

        return string.Join(", ", checkpoints);
    }

    /// <summary>The log of <paramref name="settings"/> as the silo configures it, with <paramref name="readers"/>; Redis without trimming when not <paramref name="trim"/>.</summary>
    private static ISiloBuilder AddLog(ISiloBuilder silo, BacklogSettings settings, SiloSettings siloSettings, bool trim, params LogReader[] readers) =>
        settings.Provider == "kafka"
            ? silo.AddKafkaLog(TimelineStreams.Provider, o =>
            {
                o.BootstrapServers = siloSettings.Kafka.BootstrapServers;
                o.Topic = siloSettings.Kafka.Topic;
                o.Queues = siloSettings.Streams.Partitions;
                o.FetchWait = siloSettings.Kafka.FetchWait;
                o.Linger = siloSettings.Kafka.Linger;
            }, readers)
            : silo.AddRedisLog(TimelineStreams.Provider, o =>
            {
                o.Configuration = siloSettings.Redis.Configuration!;
                o.KeyPrefix = siloSettings.RedisLogKeyPrefix;
                o.Queues = siloSettings.Streams.Partitions;
                if (!trim)
                {
                    o.TrimPeriod = TimeSpan.Zero;
                }
            }, readers);

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource)
    {
        await using (var exists = dataSource.CreateCommand("SELECT to_regclass('messages') IS NOT NULL"))
        {
            if (!(bool)(await exists.ExecuteScalarAsync())!)
            {
                return 0;
            }
        }

        await using var command = dataSource.CreateCommand("SELECT count(*) FROM messages");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
