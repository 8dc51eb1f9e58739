using System.Globalization;
using System.Text;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// One word of a command, sent as a RESP bulk string: text (UTF-8), bytes or a decimal integer.
/// Converts implicitly, so commands read like <c>connection.ExecuteAsync("SET", key, value)</c>.
/// It has no <see cref="object.ToString"/> of its value on purpose: arguments (e.g. a password) must not reach logs.
/// </summary>
public readonly struct RedisArg : IEquatable<RedisArg>
{
    private readonly string? text;
    private readonly ReadOnlyMemory<byte> bytes;
    private readonly long integer;
    private readonly byte form;

    private RedisArg(string? text, ReadOnlyMemory<byte> bytes, long integer, byte form)
    {
        this.text = text;
        this.bytes = bytes;
        this.integer = integer;
        this.form = form;
    }

    public static implicit operator RedisArg(string value) => FromString(value);

    public static implicit operator RedisArg(byte[] value) => FromBytes(value);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => FromBytes(value);

    public static implicit operator RedisArg(long value) => FromInt64(value);

    public static implicit operator RedisArg(int value) => FromInt64(value);

    public static bool operator ==(RedisArg left, RedisArg right) => left.Equals(right);

    public static bool operator !=(RedisArg left, RedisArg right) => !left.Equals(right);

    public static RedisArg FromString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new RedisArg(value, default, 0, 1);
    }

    public static RedisArg FromBytes(ReadOnlyMemory<byte> value) => new(null, value, 0, 2);

    public static RedisArg FromInt64(long value) => new(null, default, value, 3);

    public static RedisArg FromInt32(int value) => FromInt64(value);

    /// <summary>The argument's text when it is one (used to name a command in errors; never its other arguments).</summary>
    internal string? Text => form == 1 ? text : null;

    /// <summary>The bytes the argument is sent as (an integer in invariant decimal).</summary>
    internal ReadOnlyMemory<byte> ToBytes() => form switch
    {
        1 => Encoding.UTF8.GetBytes(text!),
        2 => bytes,
        3 => Encoding.ASCII.GetBytes(integer.ToString(CultureInfo.InvariantCulture)),
        _ => ReadOnlyMemory<byte>.Empty,
    };

    /// <summary>Writes the argument's bytes into <paramref name="destination"/> (sized by <see cref="ByteCount"/>).</summary>
    internal void CopyTo(Span<byte> destination)
    {
        switch (form)
        {
            case 1:
                Encoding.UTF8.GetBytes(text, destination);
                break;
            case 2:
                bytes.Span.CopyTo(destination);
                break;
            case 3:
                integer.TryFormat(destination, out _, default, CultureInfo.InvariantCulture);
                break;
        }
    }

    /// <summary>How many bytes the argument takes on the wire, without its bulk-string frame.</summary>
    internal int ByteCount => form switch
    {
        1 => Encoding.UTF8.GetByteCount(text!),
        2 => bytes.Length,
        3 => DecimalLength(integer),
        _ => 0,
    };

    public bool Equals(RedisArg other) => ToBytes().Span.SequenceEqual(other.ToBytes().Span);

    public override bool Equals(object? obj) => obj is RedisArg other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(ToBytes().Span);
        return hash.ToHashCode();
    }

    private static int DecimalLength(long value)
    {
        Span<byte> scratch = stackalloc byte[20];
        value.TryFormat(scratch, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }
}
