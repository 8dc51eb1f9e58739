namespace ChatCluster.Grains;

/// <summary>
/// A store or the log cannot be reached now (database down, a write that failed or timed out). Transient: the
/// same request may succeed later; clients get PROTOCOL.md's <c>unavailable</c> and resend with the same clientMsgId.
/// An <see cref="OrleansException"/>, so that Orleans' storage bridge passes it to the grain as it is instead of
/// wrapping it. Never attach a driver's exception (Orleans cannot carry it across a grain call): put its text in the message.
/// </summary>
[GenerateSerializer, Alias("chat.StorageUnavailableException")]
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
