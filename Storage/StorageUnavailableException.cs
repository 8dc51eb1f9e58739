namespace ChatCluster.Storage;

/// <summary>
/// Grain storage could not be reached now (PostgreSQL down, unreachable, shutting down, out of
/// connections): the operation did not happen, or its outcome is unknown, and may be retried later.
/// It derives from <see cref="OrleansException"/>, so Orleans' <c>IPersistentState</c> passes it to
/// the grain unwrapped, and it is serializable, so it reaches callers across grain calls as itself.
/// It carries the driver's message, not its exception: Orleans cannot serialize an <c>NpgsqlException</c>
/// (a grain call failing with one reaches the caller as a <c>CodecNotFoundException</c>); the storage
/// logs the driver's exception where it happens.
/// </summary>
[GenerateSerializer]
[Alias("ChatCluster.Storage.StorageUnavailableException")]
public sealed class StorageUnavailableException : OrleansException
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
