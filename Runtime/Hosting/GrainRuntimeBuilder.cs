using System.Reflection;
using ChatCluster.Runtime.Storage;
using ChatCluster.Runtime.Storage.Memory;
using ChatCluster.Runtime.Storage.Postgres;
using ChatCluster.Runtime.Storage.Sqlite;
using ChatCluster.Runtime.Streams;
using ChatCluster.Runtime.Streams.Memory;
using ChatCluster.Runtime.Streams.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatCluster.Runtime.Hosting;

/// <summary>Configures the grain runtime of a silo: which grain assemblies it hosts, where state is stored, and its streams.</summary>
public sealed class GrainRuntimeBuilder
{
    private readonly List<Assembly> grainAssemblies = [];
    private readonly Dictionary<string, Func<IServiceProvider, IGrainStorage>> storages = [];
    private readonly List<StreamHandlerRegistration> streamHandlers = [];
    private Func<IServiceProvider, IStreamProvider>? streamProvider;

    internal GrainRuntimeBuilder(IServiceCollection services, RuntimeOptions options)
    {
        Services = services;
        Options = options;
        services.AddSingleton(provider => new GrainRuntime(
            provider,
            Options,
            new GrainStorageRegistry(storages.ToDictionary(s => s.Key, s => s.Value(provider))),
            grainAssemblies,
            CreateStreamHost(provider),
            provider.GetRequiredService<ILogger<GrainRuntime>>()));
        services.AddSingleton<IGrainFactory>(provider => provider.GetRequiredService<GrainRuntime>());
        services.AddSingleton(provider => new StreamPublisher(RequireStreamProvider(provider, nameof(StreamPublisher))));
        services.AddSingleton(provider => new StreamBarrier(RequireStreamProvider(provider, nameof(StreamBarrier))));
        services.AddHostedService<GrainRuntimeHostedService>();
    }

    /// <summary>The service collection, for registering what your grains' constructors need.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The runtime's settings (already read from configuration, if it was given).</summary>
    public RuntimeOptions Options { get; }

    /// <summary>
    /// Runs <paramref name="task"/> when the runtime starts: after grain storage is ready, before stream
    /// handlers run. For schemas and connections that grains and handlers need; a failure stops start-up.
    /// </summary>
    public GrainRuntimeBuilder AddStartupTask(Func<IServiceProvider, CancellationToken, Task> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        Services.AddSingleton(new RuntimeStartupTask(task));
        return this;
    }

    /// <summary>
    /// Adds the silo-to-silo transport: the silo listens for calls from other silos and gateways, and
    /// can send calls to them. Settings come from the <c>ChatCluster:Transport</c> section of
    /// <paramref name="configuration"/> when given, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is out of range; the message names it.</exception>
    public GrainRuntimeBuilder AddTransport(Microsoft.Extensions.Configuration.IConfiguration? configuration = null, Action<Transport.TransportOptions>? configure = null)
    {
        var options = CheckedSettings.Read(configuration, Transport.TransportOptions.Section, configure, o => o.Validate());
        Services.AddSingleton(options);
        Services.AddSingleton(provider => new Transport.SiloTransport(options, provider.GetRequiredService<ILogger<Transport.SiloTransport>>()));
        return this;
    }

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
        Services.AddPostgresDataSource(connectionString);
        return AddGrainStorage(provider => new PostgresGrainStorage(provider.GetRequiredKeyedService<NpgsqlDataSource>(connectionString)), name);
    }

    /// <summary>
    /// Sets the silo's stream provider (replacing one set before). It is created once, initialized
    /// when the runtime starts, and serves <see cref="StreamPublisher"/>, <see cref="StreamBarrier"/>
    /// and every stream handler.
    /// </summary>
    public GrainRuntimeBuilder AddStreams(Func<IServiceProvider, IStreamProvider> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (streamProvider is null)
        {
            Services.AddSingleton(provider => streamProvider!(provider));
        }

        streamProvider = create;
        return this;
    }

    /// <summary>Keeps streams in memory (tests, throwaway runs): lost when the process ends.</summary>
    /// <param name="partitions">Partitions of every namespace (1 to 1024).</param>
    public GrainRuntimeBuilder AddMemoryStreams(int partitions = 8)
    {
        StreamIds.ValidatePartitionCount(partitions);
        return AddStreams(_ => new MemoryStreamProvider(partitions));
    }

    /// <summary>Keeps streams in the SQLite database file at <paramref name="databasePath"/> (durable, one process).</summary>
    /// <param name="databasePath">The database file; its folder is created if missing.</param>
    /// <param name="partitions">Partitions of every namespace (1 to 1024); fixed for the file once created.</param>
    public GrainRuntimeBuilder AddSqliteStreams(string databasePath, int partitions = 8)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        StreamIds.ValidatePartitionCount(partitions);
        return AddStreams(_ => new SqliteStreamProvider(databasePath, partitions));
    }

    /// <summary>
    /// Runs <typeparamref name="THandler"/> on every event of <paramref name="streamNamespace"/> as
    /// handler group <paramref name="handlerGroup"/>: each group gets every event at least once, in
    /// publish order per stream id, and keeps its own checkpoint. The handler is a singleton from
    /// dependency injection (registered here unless you registered it already). Needs a stream
    /// provider (<see cref="AddMemoryStreams"/>, <see cref="AddSqliteStreams"/>).
    /// </summary>
    /// <typeparam name="THandler">The handler class.</typeparam>
    /// <typeparam name="TEvent">The event type the published JSON is deserialized to.</typeparam>
    /// <param name="streamNamespace">The namespace consumed, e.g. <c>timeline</c>.</param>
    /// <param name="handlerGroup">The group's name: its checkpoints and its dead-letter stream (<c>deadletter.{group}</c>) are kept under it, so keep it stable.</param>
    /// <param name="configure">Batch size, retries, back-off and poll wait (<see cref="StreamHandlerOptions"/>).</param>
    /// <exception cref="ArgumentException">A name is empty, the group already handles the namespace, or an option is out of range.</exception>
    public GrainRuntimeBuilder AddStreamHandler<THandler, TEvent>(string streamNamespace, string handlerGroup, Action<StreamHandlerOptions>? configure = null)
        where THandler : class, IStreamHandler<TEvent>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamNamespace);
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        if (streamHandlers.Find(r => r.Namespace == streamNamespace && r.Group == handlerGroup) is { } existing)
        {
            throw new ArgumentException(
                $"Handler group '{handlerGroup}' already handles '{streamNamespace}' with {existing.HandlerType.Name}; a group has one handler per namespace. "
                + "Give the other handler its own group.", nameof(handlerGroup));
        }

        var options = new StreamHandlerOptions();
        configure?.Invoke(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"Stream handler group '{handlerGroup}' on '{streamNamespace}' has bad options: {string.Join(" ", problems)}", nameof(configure));
        }

        Services.TryAddSingleton<THandler>();
        streamHandlers.Add(StreamHandlerRegistration.For<THandler, TEvent>(streamNamespace, handlerGroup, options));
        return this;
    }

    private static IStreamProvider RequireStreamProvider(IServiceProvider services, string needs) =>
        services.GetService<IStreamProvider>()
        ?? throw new InvalidOperationException(
            $"{needs} needs a stream provider, and none is configured: call AddMemoryStreams() or AddSqliteStreams(path) on the grain runtime builder.");

    private StreamHandlerHost? CreateStreamHost(IServiceProvider services)
    {
        var provider = services.GetService<IStreamProvider>();
        if (provider is null)
        {
            return streamHandlers.Count == 0
                ? null
                : throw new InvalidOperationException(
                    $"Stream handlers are registered ({string.Join(", ", streamHandlers)}) but no stream provider is configured: "
                    + "call AddMemoryStreams() or AddSqliteStreams(path) on the grain runtime builder.");
        }

        // A log the silos share is divided among them by membership: consume nothing until it says which partitions are ours.
        var divided = provider.IsShared && services.GetService<Clustering.MembershipService>() is not null
            && services.GetService<Transport.SiloTransport>() is not null;
        return new StreamHandlerHost(provider, [.. streamHandlers], services, services.GetRequiredService<ILogger<StreamHandlerHost>>(), waitForOwnership: divided);
    }
}
