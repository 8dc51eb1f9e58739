namespace ChatCluster.Client.Protocol;

/// <summary>
/// The connection dropped before the reply to a request that is not safe to repeat
/// (<c>group.create</c>, <c>group.join</c>, <c>group.leave</c>); whether the server carried it out is unknown.
/// </summary>
public sealed class ConnectionLostException : Exception
{
    public ConnectionLostException()
        : base("the connection dropped before the reply; the request may or may not have been carried out")
    {
    }

    public ConnectionLostException(string message)
        : base(message)
    {
    }

    public ConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
