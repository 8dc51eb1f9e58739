namespace ChatCluster.Runtime;

/// <summary>
/// A storage provider for grain state: the seam behind <see cref="IPersistentState{TState}"/>.
/// Etags are opaque strings; every write and clear must compare the expected etag with the stored one
/// atomically and refuse with <see cref="InconsistentStateException"/> on a mismatch (null expected:
/// no record may exist). A cleared record keeps its row so that its etag keeps moving forward.
/// </summary>
public interface IGrainStorage
{
    /// <summary>Creates the schema if it is missing. Safe to call from several processes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>The stored record, or null when there has never been one.</summary>
    Task<StoredGrainState?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="json"/> if the stored etag is <paramref name="expectedEtag"/>; returns the new etag.</summary>
    Task<string> WriteAsync(GrainStateKey key, string json, string? expectedEtag, CancellationToken cancellationToken);

    /// <summary>Clears the record if the stored etag is <paramref name="expectedEtag"/>; returns the new etag.</summary>
    Task<string> ClearAsync(GrainStateKey key, string? expectedEtag, CancellationToken cancellationToken);
}
