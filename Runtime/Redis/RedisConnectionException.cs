namespace ChatCluster.Runtime.Redis;

/// <summary>
/// The connection to Redis could not be made, was lost or was closed while the command was queued
/// or in flight. Whether an in-flight command ran on the server is unknown. The next command
/// reconnects (after a short back-off).
/// </summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException() { }

    public RedisConnectionException(string message) : base(message) { }

    public RedisConnectionException(string message, Exception innerException) : base(message, innerException) { }
}
