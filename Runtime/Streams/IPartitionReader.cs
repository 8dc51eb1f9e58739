namespace ChatCluster.Runtime;

/// <summary>
/// Reads one partition for one handler group, in order, from just after the group's last
/// acknowledged position. Events read but not acknowledged are read again after a restart
/// (at-least-once). Used by one consumer at a time.
/// </summary>
public interface IPartitionReader : IAsyncDisposable
{
    /// <summary>
    /// The next events after those already returned by this reader (at most <paramref name="maxCount"/>),
    /// waiting up to <paramref name="wait"/> for the first one; empty if none arrived.
    /// </summary>
    Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Records that every event up to and including <paramref name="position"/> was handled (the checkpoint).</summary>
    Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken);

    /// <summary>Forgets what was read but not acknowledged: the next read starts after the checkpoint again.</summary>
    void Rewind();
}
