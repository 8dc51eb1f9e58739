namespace ChatCluster.Runtime;

/// <summary>A grain storage or stream provider could not be reached or prepared (e.g. at start-up).</summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException() { }

    public StorageUnavailableException(string message) : base(message) { }

    public StorageUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
