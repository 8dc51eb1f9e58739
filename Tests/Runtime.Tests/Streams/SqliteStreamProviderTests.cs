using Microsoft.Extensions.DependencyInjection;
using ChatCluster.Runtime.Streams.Sqlite;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>What only the SQLite provider promises, beyond the conformance suite.</summary>
public sealed class SqliteStreamProviderTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "chatcluster-tests", $"sqlite-streams-{Guid.NewGuid():N}");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temporary file left behind does no harm.
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_database_refuses_a_different_partition_count_and_says_which_it_has()
    {
        var path = Path.Combine(directory, "partitions.db");
        await using (var created = new SqliteStreamProvider(path, 4))
        {
            await created.InitializeAsync(CancellationToken.None);
        }

        await using var other = new SqliteStreamProvider(path, 8);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.InitializeAsync(CancellationToken.None));

        Assert.Contains("created with 4 partitions, but 8 are configured", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Appending_before_initializing_says_so()
    {
        await using var provider = new SqliteStreamProvider(Path.Combine(directory, "uninitialized.db"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.AppendAsync(new StreamId("ns", "k"), "{}"u8.ToArray(), CancellationToken.None));
        Assert.Contains("InitializeAsync", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_silo_with_sqlite_streams_starts_and_names_them()
    {
        var path = Path.Combine(directory, "silo.db");
        var handler = new RecordingHandler();
        await using var silo = await TestSilo.StartAsync(b =>
        {
            b.AddMemoryGrainStorage();
            b.AddSqliteStreams(path, 2);
            b.Services.AddSingleton(handler);
            b.AddStreamHandler<RecordingHandler, TestEvent>("ns", "g", StreamTesting.Quick);
        });
        var publisher = silo.Runtime.Services.GetRequiredService<StreamPublisher>();
        var barrier = silo.Runtime.Services.GetRequiredService<StreamBarrier>();

        var stream = new StreamId("ns", "k");
        await publisher.PublishAsync(stream, new TestEvent("k", 1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await barrier.WaitHandledAsync("g", stream, timeout.Token);

        Assert.Single(handler.Handled);
        Assert.Contains("SQLite at", silo.Runtime.Streams!.Describe(), StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }
}
