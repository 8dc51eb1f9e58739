namespace ChatCluster.Runtime;

/// <summary>
/// A grain's persistent state, injected into its constructor with <see cref="PersistentStateAttribute"/>.
/// It is read before <see cref="Grain.OnActivateAsync"/>; nothing is written until you call
/// <see cref="WriteStateAsync"/>. Every write and clear is checked against the <see cref="Etag"/> of the
/// last read or write, so two activations of one grain can never both commit: the stale one gets an
/// <see cref="InconsistentStateException"/>.
/// </summary>
/// <typeparam name="TState">The state type: serialized as JSON with System.Text.Json.</typeparam>
public interface IPersistentState<TState> where TState : new()
{
    /// <summary>The state. A new <typeparamref name="TState"/> when nothing is stored.</summary>
    TState State { get; set; }

    /// <summary>The version of the stored state this activation last saw; null when nothing was ever stored.</summary>
    string? Etag { get; }

    /// <summary>True when a stored record exists (it was written and not cleared since).</summary>
    bool RecordExists { get; }

    /// <summary>Reads the stored state, replacing <see cref="State"/> and <see cref="Etag"/>.</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <see cref="State"/>.</summary>
    /// <exception cref="InconsistentStateException">The stored etag is not this activation's <see cref="Etag"/>.</exception>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the stored state and resets <see cref="State"/> to a new <typeparamref name="TState"/>.</summary>
    /// <exception cref="InconsistentStateException">The stored etag is not this activation's <see cref="Etag"/>.</exception>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}
