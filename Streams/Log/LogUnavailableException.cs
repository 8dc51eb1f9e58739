namespace ChatCluster.Streams;

/// <summary>The message log could not be reached or did not answer as the silo started; the message says where and what to check.</summary>
public sealed class LogUnavailableException : Exception
{
    public LogUnavailableException()
    {
    }

    public LogUnavailableException(string message)
        : base(message)
    {
    }

    public LogUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
