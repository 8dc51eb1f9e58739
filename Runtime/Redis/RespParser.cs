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
    public static bool TryRead(ref SequenceReader<byte> reader, [NotNullWhen(true)] out RedisReply? reply)
    {
        // A big array arrives in many reads and is parsed again from its start after each. Checking first,
        // without building anything, that the whole array is there keeps those attempts free of allocations
        // (the bulk strings of a half-arrived array would otherwise be copied again and again).
        if (reader.TryPeek(out var type) && type == '*')
        {
            var probe = reader;
            if (!TryReadAt(ref probe, 0, build: false, out _))
            {
                reply = null;
                return false;
            }
        }

        return TryReadAt(ref reader, 0, build: true, out reply);
    }

    /// <summary>Reads one reply; when not <paramref name="build"/>, only checks it (<paramref name="reply"/> stays null).</summary>
    private static bool TryReadAt(ref SequenceReader<byte> reader, int depth, bool build, out RedisReply? reply)
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

                if (build)
                {
                    var text = Encoding.UTF8.GetString(line);
                    reply = type == '+' ? RedisReply.FromSimpleString(text) : RedisReply.FromError(text);
                }

                return true;
            case (byte)':':
                if (!TryReadNumber(ref reader, "integer", out var integer))
                {
                    return false;
                }

                reply = build ? RedisReply.FromInteger(integer) : null;
                return true;
            case (byte)'$':
                return TryReadBulk(ref reader, build, out reply);
            case (byte)'*':
                return TryReadArray(ref reader, depth, build, out reply);
            default:
                throw Malformed($"unknown type byte 0x{type:X2}{Printable(type)}");
        }
    }

    private static bool TryReadBulk(ref SequenceReader<byte> reader, bool build, out RedisReply? reply)
    {
        reply = null;
        if (!TryReadNumber(ref reader, "bulk string length", out var length))
        {
            return false;
        }

        if (length == -1)
        {
            reply = build ? RedisReply.NullBulkString : null;
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

        byte[]? bytes = null;
        if (build)
        {
            bytes = GC.AllocateUninitializedArray<byte>((int)length);
            reader.TryCopyTo(bytes);
        }

        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw Malformed(string.Create(CultureInfo.InvariantCulture, $"no CRLF after a bulk string of {length} bytes"));
        }

        reply = bytes is null ? null : RedisReply.FromBulkString(bytes);
        return true;
    }

    private static bool TryReadArray(ref SequenceReader<byte> reader, int depth, bool build, out RedisReply? reply)
    {
        reply = null;
        if (!TryReadNumber(ref reader, "array length", out var count))
        {
            return false;
        }

        if (count == -1)
        {
            reply = build ? RedisReply.NullArray : null;
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

        var elements = build ? new RedisReply[count] : null;
        for (var i = 0; i < count; i++)
        {
            if (!TryReadAt(ref reader, depth + 1, build, out var element))
            {
                return false;
            }

            if (elements is not null)
            {
                elements[i] = element!;
            }
        }

        reply = elements is null ? null : RedisReply.FromArray(elements);
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
