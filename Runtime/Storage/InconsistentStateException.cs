namespace ChatCluster.Runtime;

/// <summary>
/// A state write or clear was refused because the stored etag is not the one this activation read:
/// another activation (or process) changed the state since. The activation's copy is stale.
/// </summary>
public sealed class InconsistentStateException : Exception
{
    public InconsistentStateException() { }

    public InconsistentStateException(string message) : base(message) { }

    public InconsistentStateException(string message, Exception innerException) : base(message, innerException) { }

    public InconsistentStateException(GrainStateKey key, string? expectedEtag, string? storedEtag)
        : base($"State '{key.StateName}' of grain {key.GrainType}/{key.GrainKey} was changed by someone else: "
            + $"this activation holds etag '{expectedEtag ?? "none"}', the store has '{storedEtag ?? "none"}'. "
            + "The write was refused; re-read the state before writing again.")
    {
        ExpectedEtag = expectedEtag;
        StoredEtag = storedEtag;
    }

    /// <summary>The etag the writer held.</summary>
    public string? ExpectedEtag { get; }

    /// <summary>The etag in the store when the write was refused (null: no record).</summary>
    public string? StoredEtag { get; }
}
