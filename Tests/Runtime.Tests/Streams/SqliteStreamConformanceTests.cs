using ChatCluster.Runtime.Streams.Sqlite;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>The conformance suite on the SQLite provider: a temporary file per test; a restart opens the file again.</summary>
public sealed class SqliteStreamConformanceTests : StreamConformanceTests
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "chatcluster-tests", $"streams-{Guid.NewGuid():N}");

    protected override IStreamProvider CreateProvider(int partitions) =>
        new SqliteStreamProvider(Path.Combine(directory, $"streams-{Guid.NewGuid():N}.db"), partitions);

    protected override IStreamProvider Reopen(IStreamProvider provider)
    {
        var sqlite = (SqliteStreamProvider)provider;
        return new SqliteStreamProvider(sqlite.DatabasePath, sqlite.Partitions);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
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
}
