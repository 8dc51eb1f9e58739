using ChatCluster.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace ChatCluster.Storage;

/// <summary>Grain storage in an embedded SQLite file: one writer with group commit, reads beside it (WAL).</summary>
public static class SqliteGrainStorageExtensions
{
    /// <summary>
    /// Adds grain storage <paramref name="name"/> in the SQLite file <paramref name="databasePath"/>
    /// (its folder is created if missing; the schema is applied when the silo starts). Writes from every
    /// grain go through one connection that commits all pending writes in one transaction; an
    /// acknowledged write survives the process being killed (WAL, <c>synchronous=NORMAL</c>). Etags are
    /// versions; a stale one throws <see cref="InconsistentStateException"/>. Providers given the same
    /// file share its writer.
    /// </summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var fullPath = Path.GetFullPath(databasePath);
        builder.Services.TryAddSingleton(provider => new SqliteStateDatabases(provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddGrainStorage(name, (provider, providerName) => new SqliteGrainStorage(
            providerName,
            fullPath,
            provider.GetRequiredService<SqliteStateDatabases>(),
            provider.GetRequiredService<IGrainStorageSerializer>(),
            provider.GetRequiredService<IActivatorProvider>()));
        return builder;
    }

    /// <summary><see cref="AddSqliteGrainStorage"/> as the default grain storage (name <c>Default</c>).</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder builder, string databasePath) =>
        builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, databasePath);
}
