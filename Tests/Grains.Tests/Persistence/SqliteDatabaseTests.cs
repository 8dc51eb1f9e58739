using ChatCluster.Grains.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatCluster.Grains.Tests.Persistence;

/// <summary>The SQLite file behind the embedded message store: writes that wait share a transaction, and each fails alone.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly DirectoryInfo directory = Directory.CreateTempSubdirectory("chatcluster-sqlite-db-");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        directory.Delete(recursive: true);
    }

    [Fact(Timeout = 60_000)]
    public async Task Writes_that_wait_for_the_writer_commit_together_in_one_transaction()
    {
        using var database = await OpenAsync();
        using var holding = new ManualResetEventSlim();
        var first = await HoldTheWriterAsync(database, holding);

        // Another connection counts the committed rows while each waiting write runs: one transaction for all of them
        // means none of them sees another's row committed.
        await using var observer = new SqliteConnection($"Data Source={Path.Combine(directory.FullName, "test.db")}");
        await observer.OpenAsync();
        var seen = new List<long>();
        var writes = Enumerable.Range(0, 20)
            .Select(i => database.WriteTransactionAsync(connection => { seen.Add(CountRows(observer)); Insert(connection, $"w{i:00}"); }, CancellationToken.None))
            .ToList();
        holding.Set();
        await first;
        await Task.WhenAll(writes);

        Assert.Equal(Enumerable.Repeat(1L, 20), seen); // "first" only
        Assert.Equal(["first", .. Enumerable.Range(0, 20).Select(i => $"w{i:00}")], await NamesAsync(database));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_write_that_fails_in_a_shared_transaction_fails_alone_and_the_others_commit()
    {
        using var database = await OpenAsync();
        using var holding = new ManualResetEventSlim();
        var first = await HoldTheWriterAsync(database, holding);

        var runsOfA = 0;
        var a = database.WriteTransactionAsync(connection => { runsOfA++; Insert(connection, "a"); }, CancellationToken.None);
        var b = database.WriteTransactionAsync(connection => { Insert(connection, "b"); throw new InvalidOperationException("b is bad"); }, CancellationToken.None);
        var c = database.WriteTransactionAsync(connection => Insert(connection, "c"), CancellationToken.None);
        holding.Set();
        await first;

        await a;
        Assert.Equal("b is bad", (await Assert.ThrowsAsync<InvalidOperationException>(() => b)).Message);
        await c;
        Assert.Equal(["a", "c", "first"], await NamesAsync(database));
        Assert.Equal(2, runsOfA); // with b in the shared transaction, rolled back; then alone
    }

    private async Task<SqliteDatabase> OpenAsync()
    {
        var database = new SqliteDatabase(Path.Combine(directory.FullName, "test.db"), null, NullLogger.Instance);
        await database.ApplySchemaAsync("PRAGMA journal_mode = WAL; CREATE TABLE t (name TEXT NOT NULL);", CancellationToken.None);
        return database;
    }

    // A write that holds the writer until released: the writes after it wait, and are taken together.
    private static async Task<Task> HoldTheWriterAsync(SqliteDatabase database, ManualResetEventSlim holding)
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Task.Run(() => database.WriteTransactionAsync(
            connection =>
            {
                held.TrySetResult();
                holding.Wait();
                Insert(connection, "first");
            },
            CancellationToken.None));
        await held.Task;
        return first;
    }

    private static void Insert(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO t (name) VALUES ($name)";
        command.Parameters.AddWithValue("$name", name);
        command.ExecuteNonQuery();
    }

    private static long CountRows(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM t";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<List<string>> NamesAsync(SqliteDatabase database)
    {
        await using var connection = await database.OpenReaderAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM t ORDER BY name";
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
