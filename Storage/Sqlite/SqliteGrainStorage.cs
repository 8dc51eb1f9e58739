using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace ChatCluster.Storage.Sqlite;

/// <summary>
/// Orleans grain storage in an embedded SQLite file (see <see cref="SqliteStateDatabase"/>: one writer
/// with group commit, reads beside it in WAL). Rows are keyed by (grain type, grain key, state name);
/// the etag is the row's version as a string, and a write or clear with another etag than the stored
/// one throws <see cref="InconsistentStateException"/>. Payloads are written by the silo's
/// <see cref="IGrainStorageSerializer"/>.
/// </summary>
internal sealed class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string name;
    private readonly string databasePath;
    private readonly SqliteStateDatabases databases;
    private readonly IGrainStorageSerializer serializer;
    private readonly IActivatorProvider activators;
    private SqliteStateDatabase? database;

    public SqliteGrainStorage(
        string name,
        string databasePath,
        SqliteStateDatabases databases,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators)
    {
        this.name = name;
        this.databasePath = Path.GetFullPath(databasePath);
        this.databases = databases;
        this.serializer = serializer;
        this.activators = activators;
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{name}", ServiceLifecycleStage.ApplicationServices, StartAsync, StopAsync);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var stored = Database.Read(Key(stateName, grainId));
        grainState.State = stored?.Payload is { } payload
            ? serializer.Deserialize<T>(new BinaryData(payload)) ?? Create<T>()
            : Create<T>();
        grainState.ETag = stored is null ? null : FormatEtag(stored.Version);
        grainState.RecordExists = stored?.Payload is not null;
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = Key(stateName, grainId);
        var expected = ParseEtag(grainState.ETag, key);
        var payload = serializer.Serialize(grainState.State).ToArray();
        var outcome = await Database.SubmitAsync(key, payload, clear: false, expected).ConfigureAwait(false);
        if (!outcome.Applied)
        {
            throw Conflict("WriteState", key, grainState.ETag, outcome.Version);
        }

        grainState.ETag = FormatEtag(outcome.Version!.Value);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = Key(stateName, grainId);
        var expected = ParseEtag(grainState.ETag, key);
        var outcome = await Database.SubmitAsync(key, payload: null, clear: true, expected).ConfigureAwait(false);
        if (!outcome.Applied)
        {
            throw Conflict("ClearState", key, grainState.ETag, outcome.Version);
        }

        // The row stays with a null payload and a new version, so a stale etag still conflicts after a clear.
        grainState.ETag = outcome.Version is { } version ? FormatEtag(version) : null;
        grainState.RecordExists = false;
        grainState.State = Create<T>();
    }

    public override string ToString() => $"SQLite grain storage '{name}' at {databasePath}";

    private SqliteStateDatabase Database =>
        database ?? throw new InvalidOperationException($"{this} is not started (it opens in the silo lifecycle).");

    private async Task StartAsync(CancellationToken cancellationToken) =>
        database = await databases.AcquireAsync(databasePath, cancellationToken).ConfigureAwait(false);

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        if (database is { } open)
        {
            database = null;
            await databases.ReleaseAsync(open, cancellationToken).ConfigureAwait(false);
        }
    }

    private T Create<T>() => activators.GetActivator<T>().Create();

    private static StateKey Key(string stateName, GrainId grainId) =>
        new(grainId.Type.ToString()!, grainId.Key.ToString()!, stateName);

    private static string FormatEtag(long version) => version.ToString(CultureInfo.InvariantCulture);

    private long? ParseEtag(string? etag, StateKey key)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return null;
        }

        if (long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return version;
        }

        throw new InconsistentStateException($"{this}: etag '{etag}' of {key} is not a version of this storage.", storedEtag: null, currentEtag: etag);
    }

    private InconsistentStateException Conflict(string operation, StateKey key, string? etag, long? storedVersion) =>
        new(
            $"Version conflict ({operation}) in {this}: {key} holds etag '{etag}', the stored version is '{storedVersion}'.",
            storedEtag: storedVersion is { } stored ? FormatEtag(stored) : null,
            currentEtag: etag);
}
