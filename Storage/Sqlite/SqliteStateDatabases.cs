using Microsoft.Extensions.Logging;

namespace ChatCluster.Storage.Sqlite;

/// <summary>
/// The SQLite state files of one silo, by full path: several storage providers on one file share its
/// single writer (two writers on one file would only wait on each other's locks). Opened by the first
/// provider that starts, closed when the last one stops.
/// </summary>
internal sealed class SqliteStateDatabases(ILoggerFactory loggerFactory) : IDisposable
{
    private readonly Dictionary<string, (SqliteStateDatabase Database, int Users)> open = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim gate = new(1, 1);

    public async Task<SqliteStateDatabase> AcquireAsync(string fullPath, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (open.TryGetValue(fullPath, out var entry))
            {
                open[fullPath] = (entry.Database, entry.Users + 1);
                return entry.Database;
            }

            var database = new SqliteStateDatabase(fullPath, loggerFactory.CreateLogger<SqliteStateDatabase>());
            try
            {
                database.Open();
            }
            catch
            {
                database.Dispose();
                throw;
            }

            open[fullPath] = (database, 1);
            return database;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task ReleaseAsync(SqliteStateDatabase database, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!open.TryGetValue(database.Path, out var entry) || !ReferenceEquals(entry.Database, database))
            {
                return;
            }

            if (entry.Users > 1)
            {
                open[database.Path] = (database, entry.Users - 1);
                return;
            }

            open.Remove(database.Path);
        }
        finally
        {
            gate.Release();
        }

        await database.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes files that no provider closed (the silo did not stop cleanly).</summary>
    public void Dispose()
    {
        foreach (var (database, _) in open.Values)
        {
            database.Dispose();
        }

        open.Clear();
        gate.Dispose();
    }
}
