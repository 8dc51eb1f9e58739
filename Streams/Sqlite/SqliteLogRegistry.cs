using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace ChatCluster.Streams;

/// <summary>
/// The SQLite logs of one silo (one per service provider), by full database path: providers over the
/// same file share one log and so one writer. Several silos in one process each have their own.
/// </summary>
internal sealed class SqliteLogRegistry(ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<SqliteLog>> logs = new(StringComparer.Ordinal);

    public SqliteLog Get(SqliteLogOptions options, IReadOnlyCollection<string> readers)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new OrleansConfigurationException(string.Join(" ", errors));
        }

        var path = Path.GetFullPath(options.DatabasePath);
        var log = logs.GetOrAdd(path, _ => new Lazy<SqliteLog>(() => new SqliteLog(options, readers, loggerFactory.CreateLogger<SqliteLog>()))).Value;
        if (log.Queues != options.Queues)
        {
            throw new OrleansConfigurationException(
                $"The SQLite log {path} is registered twice with different {nameof(SqliteLogOptions)}.{nameof(SqliteLogOptions.Queues)}: {log.Queues} and {options.Queues}.");
        }

        log.AddReaders(readers);
        return log;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var log in logs.Values.Where(log => log.IsValueCreated))
        {
            await log.Value.DisposeAsync().ConfigureAwait(false);
        }
    }
}
