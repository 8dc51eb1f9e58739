using System.Globalization;
using System.Text;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// One RESP2 reply: its <see cref="Kind"/>, whether it <see cref="IsNull"/>, and typed accessors that
/// throw <see cref="InvalidCastException"/> naming the actual kind when asked for another one (an
/// <see cref="RedisReplyKind.Error"/> element throws its <see cref="RedisErrorException"/> instead).
/// </summary>
public sealed class RedisReply
{
    private static readonly RedisReply[] NoElements = [];

    private readonly string? text;
    private readonly long integer;
    private readonly byte[]? bytes;
    private readonly RedisReply[]? elements;

    private RedisReply(RedisReplyKind kind, string? text = null, long integer = 0, byte[]? bytes = null, RedisReply[]? elements = null)
    {
        Kind = kind;
        this.text = text;
        this.integer = integer;
        this.bytes = bytes;
        this.elements = elements;
    }

    /// <summary>The null bulk string (<c>$-1</c>), e.g. GET of a missing key.</summary>
    public static RedisReply NullBulkString { get; } = new(RedisReplyKind.BulkString);

    /// <summary>The null array (<c>*-1</c>), e.g. XREADGROUP whose BLOCK expired.</summary>
    public static RedisReply NullArray { get; } = new(RedisReplyKind.Array);

    /// <summary>The empty array (<c>*0</c>).</summary>
    public static RedisReply EmptyArray { get; } = new(RedisReplyKind.Array, elements: NoElements);

    public RedisReplyKind Kind { get; }

    /// <summary>True for the null bulk string and the null array.</summary>
    public bool IsNull => Kind is RedisReplyKind.BulkString or RedisReplyKind.Array && bytes is null && elements is null;

    internal static RedisReply FromSimpleString(string value) => new(RedisReplyKind.SimpleString, text: value);

    internal static RedisReply FromError(string message) => new(RedisReplyKind.Error, text: message);

    internal static RedisReply FromInteger(long value) => new(RedisReplyKind.Integer, integer: value);

    internal static RedisReply FromBulkString(byte[] value) => new(RedisReplyKind.BulkString, bytes: value);

    internal static RedisReply FromArray(RedisReply[] values) => values.Length == 0 ? EmptyArray : new(RedisReplyKind.Array, elements: values);

    /// <summary>
    /// The text of a simple string, or a bulk string decoded as UTF-8; null for the null bulk string.
    /// An integer is not converted (ask <see cref="AsInt64"/>).
    /// </summary>
    public string? AsString() => Kind switch
    {
        RedisReplyKind.SimpleString => text,
        RedisReplyKind.BulkString => bytes is null ? null : Encoding.UTF8.GetString(bytes),
        _ => throw Misuse("a string"),
    };

    /// <summary>An integer reply, or a simple/bulk string holding a decimal integer (Redis returns some counters as strings).</summary>
    public long AsInt64()
    {
        switch (Kind)
        {
            case RedisReplyKind.Integer:
                return integer;
            case RedisReplyKind.SimpleString or RedisReplyKind.BulkString when !IsNull:
                var value = AsString();
                if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                throw new InvalidCastException($"Redis reply is a {Kind} that is not an integer: \"{Shorten(value!)}\".");
            default:
                throw Misuse("an integer");
        }
    }

    /// <summary>The bytes of a bulk string (or of a simple string's text). A null bulk string throws: check <see cref="IsNull"/>.</summary>
    public ReadOnlyMemory<byte> AsBytes() => Kind switch
    {
        RedisReplyKind.BulkString when bytes is not null => bytes,
        RedisReplyKind.SimpleString => Encoding.UTF8.GetBytes(text!),
        _ => throw Misuse("bytes"),
    };

    /// <summary>The elements of an array. A null array throws: check <see cref="IsNull"/>.</summary>
    public IReadOnlyList<RedisReply> AsArray() =>
        Kind == RedisReplyKind.Array && elements is not null ? elements : throw Misuse("an array");

    /// <summary>For an <see cref="RedisReplyKind.Error"/> element: the exception the server's message stands for.</summary>
    public RedisErrorException ToException() =>
        Kind == RedisReplyKind.Error ? new RedisErrorException(RedisErrorException.KindOf(text!), text!) : throw Misuse("an error");

    /// <summary>A short description for logs and test messages (long values are cut).</summary>
    public override string ToString() => Kind switch
    {
        _ when IsNull => $"{Kind} (null)",
        RedisReplyKind.SimpleString => $"+{Shorten(text!)}",
        RedisReplyKind.Error => $"-{Shorten(text!)}",
        RedisReplyKind.Integer => string.Create(CultureInfo.InvariantCulture, $":{integer}"),
        RedisReplyKind.BulkString => $"${bytes!.Length} \"{Shorten(Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64)))}\"",
        _ => $"*{elements!.Length}",
    };

    private static string Shorten(string value) => value.Length <= 60 ? value : string.Concat(value.AsSpan(0, 60), "…");

    private Exception Misuse(string wanted)
    {
        if (Kind == RedisReplyKind.Error)
        {
            return ToException();
        }

        var actual = IsNull ? $"a null {Kind}" : Kind == RedisReplyKind.Array ? $"an Array of {elements!.Length}" : $"{(Kind == RedisReplyKind.Integer ? "an" : "a")} {Kind}";
        return new InvalidCastException($"Redis reply is {actual} ({this}), not {wanted}.");
    }
}
