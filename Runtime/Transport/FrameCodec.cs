using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// Writes and reads frames: <c>int32 length</c> (of everything after it), then <c>u8 kind</c>,
/// <c>u8 flags</c>, <c>i64 call id</c>, <c>i32 timeout ms</c>, <c>i32 method id</c>,
/// <c>i64 sender's membership view version</c>, <c>u16 grain type length</c>, <c>u16 key length</c>, the grain type and key in UTF-8, and the
/// payload (the rest). All integers little-endian.
/// </summary>
internal static class FrameCodec
{
    /// <summary>Bytes of the length prefix.</summary>
    public const int PrefixBytes = 4;

    /// <summary>Bytes of the fixed part of the header, after the length prefix.</summary>
    public const int FixedHeaderBytes = 30;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Write(IBufferWriter<byte> output, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var typeBytes = Encoding.UTF8.GetByteCount(header.GrainType);
        var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
        if (typeBytes > ushort.MaxValue || keyBytes > ushort.MaxValue)
        {
            throw new ArgumentException($"A grain type or key of {Math.Max(typeBytes, keyBytes)} bytes does not fit a frame header.", nameof(header));
        }

        var headerBytes = PrefixBytes + FixedHeaderBytes + typeBytes + keyBytes;
        var span = output.GetSpan(headerBytes);
        BinaryPrimitives.WriteInt32LittleEndian(span, headerBytes - PrefixBytes + payload.Length);
        span[4] = (byte)header.Kind;
        span[5] = (byte)header.Flags;
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], header.CallId);
        BinaryPrimitives.WriteInt32LittleEndian(span[14..], header.TimeoutMilliseconds);
        BinaryPrimitives.WriteInt32LittleEndian(span[18..], header.MethodId);
        BinaryPrimitives.WriteInt64LittleEndian(span[22..], header.ViewVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(span[30..], (ushort)typeBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(span[32..], (ushort)keyBytes);
        Encoding.UTF8.GetBytes(header.GrainType, span.Slice(34, typeBytes));
        Encoding.UTF8.GetBytes(header.Key, span.Slice(34 + typeBytes, keyBytes));
        output.Advance(headerBytes);
        if (!payload.IsEmpty)
        {
            output.Write(payload);
        }
    }

    /// <summary>
    /// Reads one whole frame from the front of <paramref name="buffer"/> and moves the buffer past it;
    /// false when the frame is not all there yet. The payload is a slice of the buffer: use it before
    /// the buffer is released.
    /// </summary>
    /// <exception cref="TransportProtocolException">The bytes are not a valid frame.</exception>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        header = default;
        payload = default;
        if (buffer.Length < PrefixBytes + FixedHeaderBytes)
        {
            // Still check a length that already arrived, so garbage fails fast rather than waiting for more.
            if (buffer.Length >= PrefixBytes)
            {
                CheckLength(ReadLength(buffer), maxFrameBytes);
            }

            return false;
        }

        Span<byte> fixedHeader = stackalloc byte[PrefixBytes + FixedHeaderBytes];
        buffer.Slice(0, fixedHeader.Length).CopyTo(fixedHeader);
        var length = BinaryPrimitives.ReadInt32LittleEndian(fixedHeader);
        CheckLength(length, maxFrameBytes);
        var kind = (FrameKind)fixedHeader[4];
        if (kind is < FrameKind.Request or > FrameKind.GoAwayAck)
        {
            throw new TransportProtocolException($"Unknown frame kind {fixedHeader[4]}.");
        }

        var typeBytes = BinaryPrimitives.ReadUInt16LittleEndian(fixedHeader[30..]);
        var keyBytes = BinaryPrimitives.ReadUInt16LittleEndian(fixedHeader[32..]);
        if (FixedHeaderBytes + typeBytes + keyBytes > length)
        {
            throw new TransportProtocolException(
                $"A frame of {length} bytes claims a grain type of {typeBytes} and a key of {keyBytes} bytes; they do not fit.");
        }

        if (buffer.Length < PrefixBytes + length)
        {
            return false;
        }

        var frame = buffer.Slice(PrefixBytes + FixedHeaderBytes, length - FixedHeaderBytes);
        header = new FrameHeader(
            kind,
            (FrameFlags)fixedHeader[5],
            BinaryPrimitives.ReadInt64LittleEndian(fixedHeader[6..]),
            BinaryPrimitives.ReadInt32LittleEndian(fixedHeader[14..]),
            BinaryPrimitives.ReadInt32LittleEndian(fixedHeader[18..]),
            Decode(frame.Slice(0, typeBytes)),
            Decode(frame.Slice(typeBytes, keyBytes)),
            BinaryPrimitives.ReadInt64LittleEndian(fixedHeader[22..]));
        payload = frame.Slice(typeBytes + keyBytes);
        buffer = buffer.Slice(PrefixBytes + length);
        return true;
    }

    private static int ReadLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        buffer.Slice(0, PrefixBytes).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32LittleEndian(prefix);
    }

    private static void CheckLength(int length, int maxFrameBytes)
    {
        if (length < FixedHeaderBytes || length > maxFrameBytes)
        {
            throw new TransportProtocolException(
                $"Bad frame length {length}: a frame has {FixedHeaderBytes} to {maxFrameBytes} bytes after its length prefix.");
        }
    }

    private static string Decode(in ReadOnlySequence<byte> bytes)
    {
        try
        {
            return bytes.IsEmpty ? string.Empty : StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new TransportProtocolException("A frame's grain type or key is not valid UTF-8.", ex);
        }
    }
}
