namespace ChatCluster.Runtime;

/// <summary>A grain call did not complete within the configured call timeout.</summary>
public sealed class GrainCallTimeoutException : TimeoutException
{
    public GrainCallTimeoutException() { }

    public GrainCallTimeoutException(string message) : base(message) { }

    public GrainCallTimeoutException(string message, Exception innerException) : base(message, innerException) { }
}
