using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Postgres;
using ChatCluster.Grains.Persistence.Sqlite;
using ChatCluster.Testing.Servers;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatCluster.Grains.Tests.Persistence;

/// <summary>
/// A fresh, empty, initialized message store of one kind (a temporary SQLite file or a new PostgreSQL
/// database on the shared test server), plus raw SQL on the same database for planting bad rows.
/// </summary>
internal sealed class TestMessageStore : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private readonly string kind;
    private readonly string location;
    private readonly List<IAsyncDisposable> owned = [];

    private TestMessageStore(string kind, string location)
    {
        this.kind = kind;
        this.location = location;
        Store = Open();
    }

    public IMessageStore Store { get; }

    public static async Task<TestMessageStore> CreateAsync(string kind)
    {
        var location = kind switch
        {
            Sqlite => Path.Combine(Path.GetTempPath(), "chatcluster-tests", $"messages-{Guid.NewGuid():N}.db"),
            Postgres => await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("msg"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown store kind"),
        };
        var store = new TestMessageStore(kind, location);
        await store.Store.InitializeAsync(CancellationToken.None);
        return store;
    }

    /// <summary>Another store object on the same database, not yet initialized (a second process, say).</summary>
    public IMessageStore Open()
    {
        if (kind == Sqlite)
        {
            var sqlite = new SqliteMessageStore(location);
            owned.Add(new DisposeAdapter(sqlite.Dispose));
            return sqlite;
        }

        var dataSource = NpgsqlDataSource.Create(location);
        owned.Add(dataSource);
        return new PostgresMessageStore(dataSource);
    }

    /// <summary>Runs SQL straight on the database, bypassing the store.</summary>
    public async Task ExecuteAsync(string sql)
    {
        if (kind == Sqlite)
        {
            await using var connection = new SqliteConnection($"Data Source={location}");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
            return;
        }

        await using var dataSource = NpgsqlDataSource.Create(location);
        await using var pgCommand = dataSource.CreateCommand(sql);
        await pgCommand.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var resource in owned)
        {
            await resource.DisposeAsync();
        }

        if (kind == Sqlite)
        {
            // Pooled readers keep the file open; close them so the files can go.
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(location + suffix);
            }
        }
    }

    private sealed class DisposeAdapter(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
