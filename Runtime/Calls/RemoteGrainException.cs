namespace ChatCluster.Runtime;

/// <summary>
/// A grain on another silo threw an exception whose type the caller does not rebuild; it keeps the
/// original type's name and message.
/// </summary>
public sealed class RemoteGrainException : Exception
{
    public RemoteGrainException() { }

    public RemoteGrainException(string message) : base(message) { }

    public RemoteGrainException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a remote exception of type <paramref name="remoteType"/>.</summary>
    public RemoteGrainException(string remoteType, string message, Exception? innerException)
        : base($"{remoteType}: {message}", innerException)
    {
        RemoteType = remoteType;
        RemoteMessage = message;
    }

    /// <summary>The full name of the exception type thrown on the other silo.</summary>
    public string RemoteType { get; } = "";

    /// <summary>The message of the exception thrown on the other silo.</summary>
    public string RemoteMessage { get; } = "";
}
