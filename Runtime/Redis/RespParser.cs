using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// An incremental RESP2 reply parser over a <see cref="ReadOnlySequence{T}"/> (what a pipe reader
/// hands out). <see cref="TryRead"/> either reads one whole reply, or says it needs more bytes, or
/// throws <see cref="RedisProtocolException"/> as soon as the bytes cannot be RESP2: it never waits
/// for data that a valid reply would not need. Only bulk-string payloads are copied (once, into their
/// own array); lines are parsed in place.
/// </summary>
internal static class RespParser
{
    /// <summary>Redis's own proto-max-bulk-len default: longer is not a reply but garbage.</summary>
    public const int MaxBulkLength = 512 * 1024 * 1024;

    /// <summary>Replies nest a few levels (XREADGROUP: 5); deeper is garbage, and bounding it keeps recursion safe.</summary>
    public const int MaxDepth = 32;

    /// <summary>The longest simple-string or error line accepted (Lua errors can be long, but not this long).</summary>
    public const int MaxLineLength = 1024 * 1024;

    /// <summary>A length or integer line: an optional sign and at most 19 digits.</summary>
    private const int MaxNumberLength = 20;

    /// <summary>
    /// Reads one reply from <paramref name="reader"/>. True: <paramref name="reply"/> is set and the reader
    /// is past it. False: the reply is incomplete; the reader's position is then meaningless and the caller
    /// must parse again from the same start once more bytes have arrived.
    /// </summary>
    /// <exception cref="RedisProtocolException">The bytes are not a RESP2 reply.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, [NotNullWhen(true)] out RedisReply? reply) => TryReadAt(ref reader, 0, out reply);

    private static bool TryReadAt(ref SequenceReader<byte> reader, int depth, out RedisReply? reply)
    {
        reply = null;
        if (!reader.TryRead(out var type))
        {
            return false;
        }

        switch (type)
        {
            case (byte)'+':
            case (byte)'-':
                if (!TryReadLine(ref reader, MaxLineLength, out var line))
                {
                    return false;
                }

                var text = Encoding.UTF8.GetString(line);
                reply = type == '+' ? RedisReply.FromSimpleString(text) : RedisReply.FromError(text);
                return true;
            case (byte)':':
                if (!TryReadNumber(ref reader, "integer", out var integer))
                {
                    return false;
                }

                reply = RedisReply.FromInteger(integer);
                return true;
            case (byte)'$':
                return TryReadBulk(ref reader, out reply);
            case (byte)'*':
                return TryReadArray(ref reader, depth, out reply);
            default:
                throw Malformed($"unknown type byte 0x{type:X2}{Printable(type)}");
        }
    }

    private static bool TryReadBulk(ref SequenceReader<byte> reader, out RedisReply? reply)
    {
        reply = null;
        if (!TryReadNumber(ref reader, "bulk string length", out var length))
        {
            return false;
        }

        if (length == -1)
        {
            reply = RedisReply.NullBulkString;
            return true;
        }

        if (length is < 0 or > MaxBulkLength)
        {
            throw Malformed(string.Create(CultureInfo.InvariantCulture, $"bulk string length {length}"));
        }

        if (reader.Remaining < length + 2)
        {
            return false;
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw Malformed(string.Create(CultureInfo.InvariantCulture, $"no CRLF after a bulk string of {length} bytes"));
        }

        reply = RedisReply.FromBulkString(bytes);
        return true;
    }

    private static bool TryReadArray(ref SequenceReader<byte> reader, int depth, out RedisReply? reply)
    {
        reply = null;
        if (!TryReadNumber(ref reader, "array length", out var count))
        {
            return false;
        }

        if (count == -1)
        {
            reply = RedisReply.NullArray;
            return true;
        }

        if (count is < 0 or > int.MaxValue)
        {
            throw Malformed(string.Create(CultureInfo.InvariantCulture, $"array length {count}"));
        }

        if (depth + 1 > MaxDepth)
        {
            throw Malformed($"arrays nested deeper than {MaxDepth}");
        }

        // Every element takes at least 3 bytes ("+\r\n"): wait for that many before allocating, so a
        // huge announced length costs nothing until its bytes are really there.
        if (reader.Remaining < count * 3)
        {
            return false;
        }

        var elements = new RedisReply[count];
        for (var i = 0; i < elements.Length; i++)
        {
            if (!TryReadAt(ref reader, depth + 1, out var element))
            {
                return false;
            }

            elements[i] = element!;
        }

        reply = RedisReply.FromArray(elements);
        return true;
    }

    private static bool TryReadNumber(ref SequenceReader<byte> reader, string what, out long value)
    {
        value = 0;
        if (!TryReadLine(ref reader, MaxNumberLength, out var line))
        {
            return false;
        }

        if (line.Length == 0 || line[0] == '+' || !Utf8Parser.TryParse(line, out value, out var consumed) || consumed != line.Length)
        {
            throw Malformed($"{what} \"{Encoding.ASCII.GetString(line)}\" is not an integer");
        }

        return true;
    }

    /// <summary>Reads up to CRLF (consumed, not returned). A lone CR or LF, or a line over <paramref name="maxLength"/>, is malformed.</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, int maxLength, out ReadOnlySpan<byte> line)
    {
        line = default;
        var start = reader.Position;
        var available = reader.Remaining;
        if (!reader.TryAdvanceToAny("\r\n"u8, advancePastDelimiter: false))
        {
            if (available > maxLength)
            {
                throw Malformed($"a line longer than {maxLength} bytes");
            }

            return false;
        }

        var sequence = reader.Sequence.Slice(start, reader.Position);
        if (sequence.Length > maxLength)
        {
            throw Malformed($"a line longer than {maxLength} bytes");
        }

        if (!reader.TryRead(out var first) || first != '\r' || !reader.TryPeek(out var second))
        {
            if (first != '\r')
            {
                throw Malformed("a line feed without a carriage return before it");
            }

            return false;
        }

        if (second != '\n')
        {
            throw Malformed($"a carriage return followed by 0x{second:X2}, not a line feed");
        }

        reader.Advance(1);
        line = sequence.IsSingleSegment ? sequence.FirstSpan : sequence.ToArray();
        return true;
    }

    private static RedisProtocolException Malformed(string problem) => new($"Malformed RESP2 reply from the server: {problem}.");

    private static string Printable(byte value) => value is >= 0x20 and < 0x7F ? $" ('{(char)value}')" : string.Empty;
}
