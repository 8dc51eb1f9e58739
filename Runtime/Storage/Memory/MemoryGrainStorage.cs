using System.Collections.Concurrent;
using ChatCluster.Runtime.Storage;

namespace ChatCluster.Runtime.Storage.Memory;

/// <summary>Grain state in this process's memory: for tests and throwaway runs. Same etag rules as the SQL providers.</summary>
public sealed class MemoryGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<GrainStateKey, StoredGrainState> records = new();

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<StoredGrainState?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken) =>
        Task.FromResult(records.TryGetValue(key, out var stored) ? stored : null);

    public Task<string> WriteAsync(GrainStateKey key, string json, string? expectedEtag, CancellationToken cancellationToken) =>
        Task.FromResult(Replace(key, json, expectedEtag));

    public Task<string> ClearAsync(GrainStateKey key, string? expectedEtag, CancellationToken cancellationToken) =>
        Task.FromResult(Replace(key, null, expectedEtag));

    public override string ToString() => "memory (lost when the process exits)";

    private string Replace(GrainStateKey key, string? json, string? expectedEtag)
    {
        var expected = Etag.Parse(expectedEtag);
        if (expected is null)
        {
            var created = new StoredGrainState(json, Etag.Format(1));
            return records.TryAdd(key, created) ? created.Etag : throw Conflict(key, expectedEtag);
        }

        if (!records.TryGetValue(key, out var current) || current.Etag != expectedEtag)
        {
            throw Conflict(key, expectedEtag);
        }

        var next = new StoredGrainState(json, Etag.Format(expected.Value + 1));
        return records.TryUpdate(key, next, current) ? next.Etag : throw Conflict(key, expectedEtag);
    }

    private InconsistentStateException Conflict(GrainStateKey key, string? expectedEtag) =>
        new(key, expectedEtag, records.TryGetValue(key, out var stored) ? stored.Etag : null);
}
