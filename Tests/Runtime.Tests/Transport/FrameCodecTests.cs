using System.Buffers;
using ChatCluster.Runtime.Tests.Redis;
using ChatCluster.Runtime.Transport;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>The frame format: what is written reads back the same, however the bytes arrive; bad bytes are a protocol error.</summary>
public sealed class FrameCodecTests
{
    private const int Max = 1024 * 1024;

    [Fact]
    public void Every_kind_of_frame_reads_back_as_written_even_when_split_across_segments()
    {
        var frames = new (FrameHeader Header, byte[] Payload)[]
        {
            (new FrameHeader(FrameKind.Request, FrameFlags.None, 1, 30_000, 3, "user", "alice"), "[1,\"x\"]"u8.ToArray()),
            (new FrameHeader(FrameKind.Response, FrameFlags.Error, long.MaxValue, 0, 0, "", ""), new byte[300]),
            (new FrameHeader(FrameKind.OneWay, FrameFlags.None, 3, 5, 0, "group", "ü-€-😀"), []),
            (new FrameHeader(FrameKind.Ping, FrameFlags.None, 4, 0, 0, "", ""), []),
            (new FrameHeader(FrameKind.Pong, FrameFlags.None, 4, 0, 0, "", ""), []),
            (new FrameHeader(FrameKind.Request, FrameFlags.None, 5, 100, 2, "user", "carol", long.MaxValue), "[]"u8.ToArray()),
            (new FrameHeader(FrameKind.Release, FrameFlags.None, 6, 0, 0, "counter", "c1", 42), []),
            (new FrameHeader(FrameKind.Released, FrameFlags.None, 6, 0, 0, "", ""), []),
            (new FrameHeader(FrameKind.GoAway, FrameFlags.None, 0, 0, 0, "", ""), []),
            (new FrameHeader(FrameKind.GoAwayAck, FrameFlags.None, 0, 0, 0, "", ""), []),
        };
        var written = new ArrayBufferWriter<byte>();
        foreach (var (header, payload) in frames)
        {
            FrameCodec.Write(written, header, payload);
        }

        foreach (var segmentSize in new[] { 1, 7, 4096 })
        {
            var buffer = Segments.Of([.. written.WrittenSpan.ToArray().Chunk(segmentSize)]);
            foreach (var (header, payload) in frames)
            {
                Assert.True(FrameCodec.TryRead(ref buffer, Max, out var read, out var readPayload));
                Assert.Equal(header, read);
                Assert.Equal(payload, readPayload.ToArray());
            }

            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Incomplete_frame_waits_for_more_bytes()
    {
        var written = new ArrayBufferWriter<byte>();
        FrameCodec.Write(written, new FrameHeader(FrameKind.Request, FrameFlags.None, 9, 100, 1, "user", "bob"), "[true]"u8);
        var bytes = written.WrittenSpan.ToArray();

        for (var length = 0; length < bytes.Length; length++)
        {
            var part = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.False(FrameCodec.TryRead(ref part, Max, out _, out _));
            Assert.Equal(length, part.Length);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0 }, "Bad frame length 0")]
    [InlineData(new byte[] { 255, 255, 255, 255 }, "Bad frame length -1")]
    [InlineData(new byte[] { 0, 0, 0, 64 }, "Bad frame length 1073741824")]
    public void Bad_length_is_a_protocol_error(byte[] prefix, string expected)
    {
        var buffer = new ReadOnlySequence<byte>(prefix);

        var error = Assert.Throws<TransportProtocolException>(() => FrameCodec.TryRead(ref buffer, Max, out _, out _));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(200)]
    public void Unknown_kind_is_a_protocol_error(byte kind)
    {
        var written = new ArrayBufferWriter<byte>();
        FrameCodec.Write(written, new FrameHeader(FrameKind.Ping, FrameFlags.None, 1, 0, 0, "", ""), default);
        var bytes = written.WrittenSpan.ToArray();
        bytes[4] = kind;
        var buffer = new ReadOnlySequence<byte>(bytes);

        var error = Assert.Throws<TransportProtocolException>(() => FrameCodec.TryRead(ref buffer, Max, out _, out _));

        Assert.Contains($"Unknown frame kind {kind}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_longer_than_the_frame_are_a_protocol_error()
    {
        var written = new ArrayBufferWriter<byte>();
        FrameCodec.Write(written, new FrameHeader(FrameKind.Request, FrameFlags.None, 1, 0, 0, "user", "k"), default);
        var bytes = written.WrittenSpan.ToArray();
        bytes[32] = 200; // key length past the end of the frame
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Throws<TransportProtocolException>(() => FrameCodec.TryRead(ref buffer, Max, out _, out _));
    }

    [Fact]
    public void Invalid_utf8_in_a_key_is_a_protocol_error()
    {
        var written = new ArrayBufferWriter<byte>();
        FrameCodec.Write(written, new FrameHeader(FrameKind.Request, FrameFlags.None, 1, 0, 0, "user", "k"), default);
        var bytes = written.WrittenSpan.ToArray();
        bytes[^1] = 0xFF;
        var buffer = new ReadOnlySequence<byte>(bytes);

        var error = Assert.Throws<TransportProtocolException>(() => FrameCodec.TryRead(ref buffer, Max, out _, out _));

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_payload_rebuilds_known_exception_types_and_wraps_the_rest()
    {
        Assert.IsType<GrainCallTimeoutException>(RoundTrip(new GrainCallTimeoutException("late")));
        var argument = Assert.IsType<ArgumentOutOfRangeException>(RoundTrip(new ArgumentOutOfRangeException("n", "too big")));
        Assert.Equal(new ArgumentOutOfRangeException("n", "too big").Message, argument.Message);
        var unknown = Assert.IsType<RemoteGrainException>(RoundTrip(new DivideByZeroException("zero")));
        Assert.Equal("System.DivideByZeroException", unknown.RemoteType);
        Assert.Equal("zero", unknown.RemoteMessage);
    }

    private static Exception RoundTrip(Exception exception)
    {
        var written = new ArrayBufferWriter<byte>();
        RemoteExceptions.Write(written, exception);
        return RemoteExceptions.Read(new ReadOnlySequence<byte>(written.WrittenMemory));
    }
}
