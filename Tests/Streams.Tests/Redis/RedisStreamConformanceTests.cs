using ChatCluster.Streams.Tests.Conformance;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace ChatCluster.Streams.Tests.Redis;

/// <summary>The conformance suite on the Redis Streams log: the process's shared redis-server, a key prefix of each test's own.</summary>
public sealed class RedisStreamConformanceTests : StreamAdapterConformanceTests
{
    private readonly string keyPrefix = $"conformance-{Guid.NewGuid():N}";
    private RedisServer? server;
    private TimeSpan trimPeriod = TimeSpan.FromMinutes(1);

    public RedisStreamConformanceTests(ITestOutputHelper output) => Output = output;

    public override async Task InitializeAsync()
    {
        server = await SharedServers.Redis;
        await base.InitializeAsync();
    }

    protected override void ConfigureLog(ISiloBuilder silo, string publish, LogReader[] readers) =>
        silo.AddRedisLog(publish, options =>
        {
            options.Configuration = server!.Endpoint;
            options.KeyPrefix = keyPrefix;
            options.Queues = 4;
            options.TrimPeriod = trimPeriod;

            // Where both silos read every queue, the second receiver of a queue reads after this at the latest. Elsewhere
            // the default (30 s) keeps a queue's order when it moves: a new owner that read alongside an earlier one still
            // reading (under load the two silos' balancers can act seconds apart) could deliver records out of order.
            if (SilosShareQueues)
            {
                options.TakeoverTimeout = TimeSpan.FromSeconds(3);
            }
        }, readers);

    [Fact]
    public async Task Entries_every_reader_acknowledged_are_trimmed_and_offsets_go_on()
    {
        trimPeriod = TimeSpan.FromMilliseconds(200);
        const int streams = 16, perStream = 10;
        var cluster = await StartClusterAsync();
        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);

        var silo = cluster.GetSiloServiceProvider();
        var log = silo.GetRequiredKeyedService<RedisLog>(Publish);
        long ends = 0;
        for (var queue = 0; queue < log.Queues; queue++)
        {
            ends += await log.GetEndAsync(queue, CancellationToken.None);
        }

        Assert.Equal(streams * perStream, ends);
        await Eventually.WaitAsync(
            async () => await StreamLengthsAsync(log) < streams * perStream / 2,
            () => "the log's streams trimmed to what both readers acknowledged");

        await PublishAsync(cluster, producers: 4, streams, from: perStream, count: 1);
        await WaitForAllAsync(streams * (perStream + 1), Run.Persist, Run.Push);
        long after = 0;
        for (var queue = 0; queue < log.Queues; queue++)
        {
            after += await log.GetEndAsync(queue, CancellationToken.None);
        }

        Assert.Equal(ends + streams, after);
    }

    private static async Task<long> StreamLengthsAsync(RedisLog log)
    {
        long length = 0;
        for (var queue = 0; queue < log.Queues; queue++)
        {
            length += await log.Database.StreamLengthAsync(log.StreamKey(queue));
        }

        return length;
    }

    protected override async Task CorruptNextRecordAsync(IServiceProvider silo, StreamId streamId)
    {
        var log = silo.GetRequiredKeyedService<RedisLog>(Publish);
        await log.AppendAsync(log.QueueOf(streamId), streamId, [0xde, 0xad, 0xbe, 0xef]);
    }

    protected override Task<long> CountDeadLettersAsync(IServiceProvider silo, string readerProvider) =>
        silo.GetRequiredKeyedService<RedisLog>(Publish).CountDeadLettersAsync(readerProvider);
}
