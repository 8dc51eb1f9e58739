using ChatCluster.Streams.Tests.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>The conformance suite on the SQLite log: both silos of each cluster write the same file.</summary>
public sealed class SqliteStreamConformanceTests : StreamAdapterConformanceTests
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("chatcluster-streams-");

    public SqliteStreamConformanceTests(ITestOutputHelper output) => Output = output;

    private string DatabasePath => Path.Combine(directory.FullName, "log.db");

    protected override void ConfigureLog(ISiloBuilder silo, string publish, LogReader[] readers) =>
        silo.AddSqliteLog(publish, options =>
        {
            options.DatabasePath = DatabasePath;
            options.Queues = 4;
        }, readers);

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
