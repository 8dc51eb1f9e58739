using ChatCluster.Streams.Tests.Conformance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>A temporary folder for SQLite logs used without a silo, and a codec like a silo's; deleted at the end.</summary>
public sealed class SqliteLogFixture : IAsyncDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("chatcluster-streams-");
    private readonly ServiceProvider services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(SqliteLog).Assembly).AddAssembly(typeof(TestEvent).Assembly))
        .BuildServiceProvider();

    private readonly List<SqliteLog> logs = [];

    public string DatabasePath => Path.Combine(directory.FullName, "log.db");

    internal LogRecordCodec Codec => new(services.GetRequiredService<Serializer>());

    internal SqliteLog Create(int queues = 4, Action<SqliteLogOptions>? configure = null, params string[] readers)
    {
        var options = new SqliteLogOptions { DatabasePath = DatabasePath, Queues = queues, TrimPeriod = TimeSpan.Zero };
        configure?.Invoke(options);
        var log = new SqliteLog(options, readers, NullLogger.Instance);
        logs.Add(log);
        return log;
    }

    internal async Task<SqliteLog> OpenAsync(int queues = 4, Action<SqliteLogOptions>? configure = null, params string[] readers)
    {
        var log = Create(queues, configure, readers);
        await log.OpenAsync(CancellationToken.None);
        return log;
    }

    internal Task<long> AppendAsync(SqliteLog log, int queue, string streamNamespace, string key, params TestEvent[] events) =>
        log.AppendAsync(queue, StreamId.Create(streamNamespace, key), Codec.Encode(LogRecordCodec.Body(events, null)));

    public async ValueTask DisposeAsync()
    {
        if (!directory.Exists)
        {
            return;
        }

        foreach (var log in logs)
        {
            await log.DisposeAsync();
        }

        await services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
        directory.Refresh();
    }
}
