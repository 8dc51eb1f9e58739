using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Hosting;

namespace ChatCluster.Streams;

/// <summary>Registers the SQLite message log as Orleans stream providers.</summary>
public static class SqliteLogSiloBuilderExtensions
{
    /// <summary>
    /// Registers a write-only stream provider <paramref name="publishProviderName"/> that appends to a
    /// SQLite log, and one read-only provider per reader over the same file, each with its own
    /// checkpoints, cache and pulling agents. All use implicit-only pub-sub and the same queues.
    /// Also registers the log's positions as <see cref="IStreamLog"/> (keyed by
    /// <paramref name="publishProviderName"/>, and unkeyed).
    /// </summary>
    /// <param name="builder">The silo.</param>
    /// <param name="publishProviderName">The provider grains publish through.</param>
    /// <param name="configure">Sets the <see cref="SqliteLogOptions"/> (the file, the queue count...).</param>
    /// <param name="readers">The read-only providers.</param>
    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static ISiloBuilder AddSqliteLog(this ISiloBuilder builder, string publishProviderName, Action<SqliteLogOptions> configure, params LogReader[] readers)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<SqliteLogRegistry>();
        return LogStreamProviders.AddLog<SqliteLogOptions, SqliteLog>(builder, publishProviderName, configure, readers, "SQLite", options => options.Validate(),
            (sp, options, readerNames) => sp.GetRequiredService<SqliteLogRegistry>().Get(options, readerNames));
    }
}
