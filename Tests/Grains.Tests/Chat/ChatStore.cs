using ChatCluster.Runtime.Hosting;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// Where a test chat keeps its data: "sqlite" (everything in SQLite files, the embedded mode) or
/// "postgres" (state and messages in a fresh PostgreSQL database, the log in SQLite). The same
/// instance opens the same data again, for restarts.
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

    public void Configure(GrainRuntimeBuilder builder)
    {
        builder.AddSqliteStreams(Path.Combine(Directory, "log.db"));
        if (Postgres is null)
        {
            builder.AddSqliteGrainStorage(Path.Combine(Directory, "state.db"));
            builder.AddSqliteMessageStore(Path.Combine(Directory, "messages.db"));
        }
        else
        {
            builder.AddPostgresGrainStorage(Postgres);
            builder.AddPostgresMessageStore(Postgres);
        }
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
