using ChatCluster.Silo.Configuration;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.Configuration;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// Where a test chat keeps its data: "sqlite" (everything in SQLite files, the embedded mode) or "postgres" (state and
/// messages in a fresh PostgreSQL database, the log in SQLite). The same instance opens the same data again, for
/// restarts. Silos get their settings as the real host reads them (<see cref="SiloSettings"/>).
/// </summary>
internal sealed class ChatStore : IDisposable
{
    private ChatStore(string kind, string directory, string? postgres)
    {
        Kind = kind;
        Directory = directory;
        Postgres = postgres;
    }

    public string Kind { get; }

    public string Directory { get; }

    public string? Postgres { get; }

    public static async Task<ChatStore> CreateAsync(string kind)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("chatcluster-chat-").FullName;
        string? postgres = null;
        if (kind == "postgres")
        {
            var server = await SharedServers.Postgres;
            postgres = await server.CreateUniqueDatabaseAsync("chat");
        }
        else if (kind != "sqlite")
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "sqlite or postgres");
        }

        return new ChatStore(kind, directory, postgres);
    }

    /// <summary>The SQLite files ChatWorker writes in <paramref name="directory"/>.</summary>
    public static ChatStore OpenSqlite(string directory) => new("sqlite", directory, null);

    /// <summary>The silo settings for this store, with <paramref name="chat"/> overrides (<c>ChatCluster:Chat:…</c> keys).</summary>
    public SiloSettings Settings(IDictionary<string, string?>? chat = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["ChatCluster:Storage:SqliteDirectory"] = Directory,
            ["ChatCluster:Storage:Provider"] = Postgres is null ? "Sqlite" : "Postgres",
            ["ChatCluster:Storage:PostgresConnectionString"] = Postgres,
        };
        foreach (var (key, value) in chat ?? new Dictionary<string, string?>())
        {
            values[$"ChatCluster:Chat:{key}"] = value;
        }

        return SiloSettings.Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A SQLite file may still be open in a pooled connection; the temp folder is cleaned later.
        }
    }
}
