using System.Text.Json;

namespace ChatCluster.Runtime.Storage;

internal sealed class PersistentState<TState>(GrainStateKey key, IGrainStorage storage, JsonSerializerOptions jsonOptions)
    : IPersistentState<TState>, IStateLoader where TState : new()
{
    public TState State { get; set; } = new();

    public string? Etag { get; private set; }

    public bool RecordExists { get; private set; }

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var stored = await storage.ReadAsync(key, cancellationToken);
        Etag = stored?.Etag;
        RecordExists = stored?.Json is not null;
        State = stored?.Json is { } json ? Deserialize(json) : new TState();
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(State, jsonOptions);
        Etag = await storage.WriteAsync(key, json, Etag, cancellationToken);
        RecordExists = true;
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        Etag = await storage.ClearAsync(key, Etag, cancellationToken);
        RecordExists = false;
        State = new TState();
    }

    private TState Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TState>(json, jsonOptions) ?? new TState();
        }
        catch (JsonException ex)
        {
            // A corrupt row must not turn into an empty state that the next write would overwrite.
            throw new InvalidDataException(
                $"Stored state '{key.StateName}' of grain {key.GrainType}/{key.GrainKey} is not valid JSON for {typeof(TState).Name}: {ex.Message}", ex);
        }
    }
}
