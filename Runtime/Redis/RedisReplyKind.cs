namespace ChatCluster.Runtime.Redis;

/// <summary>The RESP2 reply types.</summary>
public enum RedisReplyKind
{
    /// <summary><c>+OK</c>: a short status text.</summary>
    SimpleString,

    /// <summary><c>-ERR …</c>: seen as a value only inside arrays (e.g. an EXEC result); a top-level error fails the command.</summary>
    Error,

    /// <summary><c>:42</c>: a signed 64-bit integer.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The RESP type is called Integer.")]
    Integer,

    /// <summary><c>$3\r\nfoo</c>: binary-safe bytes, or null (<c>$-1</c>).</summary>
    BulkString,

    /// <summary><c>*2\r\n…</c>: nested replies, or null (<c>*-1</c>).</summary>
    Array,
}
