namespace ChatCluster.Runtime.Redis;

/// <summary>
/// The server answered a command with an error reply (<c>-ERR …</c>, <c>-NOSCRIPT …</c>,
/// <c>-WRONGTYPE …</c>, …). Only that command fails; the connection stays usable.
/// </summary>
public sealed class RedisErrorException : RedisException
{
    public RedisErrorException() { }

    public RedisErrorException(string message) : this(KindOf(message), message) { }

    public RedisErrorException(string message, Exception innerException) : base(message, innerException) => Kind = KindOf(message);

    /// <summary>An error with its prefix (<paramref name="kind"/>) and the server's whole message.</summary>
    public RedisErrorException(string kind, string message) : base(message) => Kind = kind;

    /// <summary>The error prefix, the first word of the server's message: <c>ERR</c>, <c>NOSCRIPT</c>, <c>BUSYGROUP</c>, <c>WRONGTYPE</c>, …</summary>
    public string Kind { get; } = "ERR";

    /// <summary>The first word of an error line: by convention its upper-case kind.</summary>
    internal static string KindOf(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? message : message[..space];
    }
}
