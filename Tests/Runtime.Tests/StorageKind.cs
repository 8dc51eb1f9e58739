using ChatCluster.Runtime.Hosting;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Runtime.Tests;

/// <summary>The storage providers every state test runs against: real SQLite files and a real PostgreSQL server.</summary>
internal static class StorageKind
{
    public const string Memory = "memory";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Configures a fresh, empty store of the given kind; the same <paramref name="scope"/> gives the same store.</summary>
    public static async Task<Action<GrainRuntimeBuilder>> FreshAsync(string kind, string scope)
    {
        switch (kind)
        {
            case Memory:
                var shared = new Storage.Memory.MemoryGrainStorage();
                return b => b.AddGrainStorage(_ => shared);
            case Sqlite:
                var path = Path.Combine(Path.GetTempPath(), "chatcluster-tests", $"{scope}-{Guid.NewGuid():N}.db");
                return b => b.AddSqliteGrainStorage(path);
            case Postgres:
                var server = await SharedServers.Postgres;
                var connectionString = await server.CreateUniqueDatabaseAsync(scope);
                return b => b.AddPostgresGrainStorage(connectionString);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown storage kind");
        }
    }
}
