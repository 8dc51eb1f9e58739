namespace ChatCluster.Runtime.Transport;

/// <summary>A peer sent bytes that are not a valid frame; the connection is closed.</summary>
public sealed class TransportProtocolException : Exception
{
    public TransportProtocolException() { }

    public TransportProtocolException(string message) : base(message) { }

    public TransportProtocolException(string message, Exception innerException) : base(message, innerException) { }
}
