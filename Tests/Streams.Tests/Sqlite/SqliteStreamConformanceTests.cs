using ChatCluster.Streams.Tests.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>The conformance suite on the SQLite log: both silos of each cluster write the same file.</summary>
public sealed class SqliteStreamConformanceTests : StreamAdapterConformanceTests
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("chatcluster-streams-");

    public SqliteStreamConformanceTests(ITestOutputHelper output) => Output = output;

    private TimeSpan trimPeriod = TimeSpan.FromMinutes(1);

    private string DatabasePath => Path.Combine(directory.FullName, "log.db");

    protected override void ConfigureLog(ISiloBuilder silo, string publish, LogReader[] readers) =>
        silo.AddSqliteLog(publish, options =>
        {
            options.DatabasePath = DatabasePath;
            options.Queues = 4;
            options.TrimPeriod = trimPeriod;
        }, readers);

    [Fact]
    public async Task Records_every_reader_passed_are_trimmed_but_the_last_of_each_queue()
    {
        trimPeriod = TimeSpan.FromMilliseconds(200);
        const int streams = 16, perStream = 10;
        var cluster = await StartClusterAsync();
        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);

        var log = StreamLogOf(cluster);
        var ends = new List<long>();
        for (var queue = 0; queue < log.Queues; queue++)
        {
            ends.Add(await log.GetEndAsync(queue, CancellationToken.None));
        }

        var nonEmpty = ends.Count(end => end > 0);
        await Eventually.WaitAsync(
            async () => await SqliteFiles.CountAsync(DatabasePath, "SELECT count(*) FROM log_records") == nonEmpty,
            () => $"the log trimmed to the last record of each of its {nonEmpty} queues");
        for (var queue = 0; queue < log.Queues; queue++)
        {
            Assert.Equal(ends[queue], await log.GetEndAsync(queue, CancellationToken.None));
        }

        // Offsets go on after the trim.
        await PublishAsync(cluster, producers: 4, streams, from: perStream, count: 1);
        await WaitForAllAsync(streams * (perStream + 1), Run.Persist, Run.Push);
        Assert.Equal(ends.Sum() + streams, await SumOfEndsAsync(log));
    }

    private static async Task<long> SumOfEndsAsync(IStreamLog log)
    {
        long sum = 0;
        for (var queue = 0; queue < log.Queues; queue++)
        {
            sum += await log.GetEndAsync(queue, CancellationToken.None);
        }

        return sum;
    }

    protected override async Task CorruptNextRecordAsync(IServiceProvider silo, StreamId streamId)
    {
        var queue = silo.GetRequiredService<IStreamLog>().QueueOf(streamId);
        await SqliteFiles.AppendRawAsync(DatabasePath, queue, streamId, [0xde, 0xad, 0xbe, 0xef]);
    }

    protected override Task<long> CountDeadLettersAsync(IServiceProvider silo, string readerProvider) =>
        SqliteFiles.CountAsync(DatabasePath, "SELECT count(*) FROM log_dead_letters WHERE reader = $reader", ("$reader", readerProvider));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }
}
