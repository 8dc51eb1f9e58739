namespace ChatCluster.Runtime.Redis;

/// <summary>
/// The server sent bytes that are not valid RESP2 (a bad type byte, length or line ending), or a reply
/// no command was waiting for. The connection is closed: nothing after the bad byte can be trusted.
/// </summary>
public sealed class RedisProtocolException : RedisException
{
    public RedisProtocolException() { }

    public RedisProtocolException(string message) : base(message) { }

    public RedisProtocolException(string message, Exception innerException) : base(message, innerException) { }
}
