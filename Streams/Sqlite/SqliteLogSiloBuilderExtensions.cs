using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
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
        ArgumentException.ThrowIfNullOrWhiteSpace(publishProviderName);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(readers);
        LogStreamProviders.CheckReaders(publishProviderName, readers);

        var services = builder.Services;
        var readerNames = readers.Select(reader => reader.ProviderName).ToArray();
        services.AddOptions<SqliteLogOptions>(publishProviderName).Configure(configure);
        services.TryAddSingleton<SqliteLogRegistry>();
        services.AddKeyedSingleton(publishProviderName, (sp, _) => sp.GetRequiredService<SqliteLogRegistry>().Get(
            sp.GetRequiredService<IOptionsMonitor<SqliteLogOptions>>().Get(publishProviderName), readerNames));
        services.AddKeyedSingleton<IStreamLog>(publishProviderName, (sp, _) => sp.GetRequiredKeyedService<SqliteLog>(publishProviderName));
        services.AddSingleton<IStreamLog>(sp => sp.GetRequiredKeyedService<SqliteLog>(publishProviderName));
        services.AddSingleton<IConfigurationValidator>(sp => new LogOptionsValidator<SqliteLogOptions>(sp, publishProviderName, "SQLite", o => o.Validate()));

        LogStreamProviders.Add(builder, publishProviderName, readers, (sp, name, reader) => SqliteQueueAdapterFactory.Create(sp, name, publishProviderName, reader));
        return builder;
    }
}
