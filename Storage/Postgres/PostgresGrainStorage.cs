using ChatCluster.Grains;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace ChatCluster.Storage.Postgres;

/// <summary>
/// Orleans' <see cref="AdoNetGrainStorage"/> on PostgreSQL, with two additions: the provider's SQL
/// (<c>orleans-storage.sql</c>) is applied in the silo lifecycle stage just before the provider's own
/// (which loads <c>OrleansQuery</c>), and a read, write or clear that fails because PostgreSQL is down
/// or unreachable throws <see cref="StorageUnavailableException"/> instead of the driver's exception.
/// Everything else (etags, <see cref="InconsistentStateException"/>, serialization) is the provider's.
/// </summary>
internal sealed partial class PostgresGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string name;
    private readonly string connectionString;
    private readonly int installStage;
    private readonly AdoNetGrainStorage inner;
    private readonly ILogger logger;

    // providerInitStage: the stage the ADO.NET provider initializes in (its options' InitStage); the SQL goes in just before.
    public PostgresGrainStorage(string name, string connectionString, int providerInitStage, AdoNetGrainStorage inner, ILogger<PostgresGrainStorage> logger)
    {
        this.name = name;
        this.connectionString = connectionString;
        installStage = providerInitStage - 1;
        this.inner = inner;
        this.logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe($"{nameof(PostgresGrainStorage)}-{name}-install", installStage, InstallAsync);
        inner.Participate(lifecycle);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.ReadStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresErrors.IsUnavailable(exception))
        {
            throw Unavailable("read", stateName, grainId, exception);
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresErrors.IsUnavailable(exception))
        {
            throw Unavailable("write", stateName, grainId, exception);
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.ClearStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresErrors.IsUnavailable(exception))
        {
            throw Unavailable("clear", stateName, grainId, exception);
        }
    }

    public override string ToString() => $"PostgreSQL grain storage '{name}'";

    private async Task InstallAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PostgresStorageInstaller.ApplyAsync(connectionString, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresErrors.IsUnavailable(exception))
        {
            throw new StorageUnavailableException($"{this} could not apply its SQL at start-up: PostgreSQL is unavailable ({exception.Message}).", exception);
        }

        LogInstalled(logger, name);
    }

    /// <remarks>
    /// The driver's exception is logged here and not attached: Orleans has no codec for <c>NpgsqlException</c>,
    /// so an exception carrying it fails to cross a grain call (the caller would get a CodecNotFoundException).
    /// </remarks>
    private StorageUnavailableException Unavailable(string operation, string stateName, GrainId grainId, Exception exception)
    {
        LogUnavailable(logger, exception, name, operation, stateName, grainId);
        return new($"{this} could not {operation} state '{stateName}' of {grainId} now: PostgreSQL is unavailable ({exception.GetType().Name}: {exception.Message}).");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL grain storage '{Name}': could not {Operation} state '{StateName}' of {GrainId}: PostgreSQL is unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string name, string operation, string stateName, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL grain storage '{Name}': storage table and OrleansQuery rows are in place")]
    private static partial void LogInstalled(ILogger logger, string name);
}
