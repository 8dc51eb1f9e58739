using System.Reflection;
using ChatCluster.Runtime.Storage;
using ChatCluster.Runtime.Storage.Memory;
using ChatCluster.Runtime.Storage.Postgres;
using ChatCluster.Runtime.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatCluster.Runtime.Hosting;

/// <summary>Configures the grain runtime of a silo: which grain assemblies it hosts and where state is stored.</summary>
public sealed class GrainRuntimeBuilder
{
    private readonly List<Assembly> grainAssemblies = [];
    private readonly Dictionary<string, Func<IServiceProvider, IGrainStorage>> storages = [];

    internal GrainRuntimeBuilder(IServiceCollection services, RuntimeOptions options)
    {
        Services = services;
        Options = options;
        services.AddSingleton(provider => new GrainRuntime(
            provider,
            Options,
            new GrainStorageRegistry(storages.ToDictionary(s => s.Key, s => s.Value(provider))),
            grainAssemblies,
            provider.GetRequiredService<ILogger<GrainRuntime>>()));
        services.AddSingleton<IGrainFactory>(provider => provider.GetRequiredService<GrainRuntime>());
        services.AddHostedService<GrainRuntimeHostedService>();
    }

    /// <summary>The service collection, for registering what your grains' constructors need.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The runtime's settings (already read from configuration, if it was given).</summary>
    public RuntimeOptions Options { get; }

    /// <summary>Hosts the grain classes of <paramref name="assembly"/> in this silo.</summary>
    public GrainRuntimeBuilder AddGrains(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        grainAssemblies.Add(assembly);
        return this;
    }

    /// <summary>Adds a storage provider under <paramref name="name"/> (the default provider when omitted).</summary>
    public GrainRuntimeBuilder AddGrainStorage(Func<IServiceProvider, IGrainStorage> create, string name = GrainStorageRegistry.DefaultName)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        storages[name] = create;
        return this;
    }

    /// <summary>Keeps grain state in memory: lost when the process ends.</summary>
    public GrainRuntimeBuilder AddMemoryGrainStorage(string name = GrainStorageRegistry.DefaultName) =>
        AddGrainStorage(_ => new MemoryGrainStorage(), name);

    /// <summary>Keeps grain state in the SQLite database file at <paramref name="databasePath"/>.</summary>
    public GrainRuntimeBuilder AddSqliteGrainStorage(string databasePath, string name = GrainStorageRegistry.DefaultName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        return AddGrainStorage(_ => new SqliteGrainStorage(databasePath), name);
    }

    /// <summary>Keeps grain state in PostgreSQL.</summary>
    public GrainRuntimeBuilder AddPostgresGrainStorage(string connectionString, string name = GrainStorageRegistry.DefaultName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        Services.AddSingleton(dataSource);
        return AddGrainStorage(_ => new PostgresGrainStorage(dataSource), name);
    }
}
