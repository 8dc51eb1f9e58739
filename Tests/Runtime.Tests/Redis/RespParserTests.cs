using System.Buffers;
using System.Text;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Tests.Redis;

public sealed class RespParserTests
{
    /// <summary>Well-formed replies and what they parse to (described with <see cref="Describe"/>).</summary>
    public static TheoryData<string, string> Replies => new()
    {
        { "+OK\r\n", "+OK" },
        { "+\r\n", "+" },
        { "-ERR unknown command 'FOO'\r\n", "-ERR unknown command 'FOO'" },
        { "-WRONGTYPE Operation against a key\r\n", "-WRONGTYPE Operation against a key" },
        { ":0\r\n", ":0" },
        { ":-9223372036854775808\r\n", ":-9223372036854775808" },
        { ":9223372036854775807\r\n", ":9223372036854775807" },
        { "$3\r\nfoo\r\n", "$foo" },
        { "$0\r\n\r\n", "$" },
        { "$6\r\na\r\nb\r\n\r\n", "$a\r\nb\r\n" },
        { "$-1\r\n", "$null" },
        { "*0\r\n", "[]" },
        { "*-1\r\n", "*null" },
        { "*3\r\n$1\r\na\r\n:1\r\n+OK\r\n", "[$a,:1,+OK]" },
        { "*2\r\n*2\r\n$-1\r\n*0\r\n*1\r\n*-1\r\n", "[[$null,[]],[*null]]" },
        { "*1\r\n*2\r\n$5\r\ns-1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "[[$s-1-0,[$f,$v]]]" },
        { "*2\r\n-ERR in exec\r\n:5\r\n", "[-ERR in exec,:5]" },
    };

    /// <summary>Bytes that cannot be RESP2, each with a part of the message it must produce.</summary>
    public static TheoryData<string, string> Malformed => new()
    {
        { "!oops\r\n", "unknown type byte 0x21 ('!')" },
        { "_\r\n", "unknown type byte 0x5F" },
        { "\r\n", "unknown type byte 0x0D" },
        { "$abc\r\n", "bulk string length \"abc\"" },
        { "$\r\n", "bulk string length \"\"" },
        { "$+3\r\nfoo\r\n", "bulk string length \"+3\"" },
        { "$-2\r\n", "bulk string length -2" },
        { "$536870913\r\n", "bulk string length 536870913" },
        { "$3\r\nfooXY", "no CRLF after a bulk string of 3 bytes" },
        { "$3\r\nfoo\n\r", "no CRLF after a bulk string of 3 bytes" },
        { "*-5\r\n", "array length -5" },
        { "*x\r\n", "array length \"x\"" },
        { "*2\r\n:1\r\n!\r\n", "unknown type byte 0x21" },
        { ":12a\r\n", "integer \"12a\"" },
        { ":\r\n", "integer \"\"" },
        { ": 1\r\n", "integer \" 1\"" },
        { ":99999999999999999999\r\n", "integer \"99999999999999999999\"" },
        { ":123456789012345678901234", "a line longer than 20 bytes" },
        { "+OK\rX", "a carriage return followed by 0x58" },
        { "+OK\nX", "a line feed without a carriage return" },
        { "-ERR\n", "a line feed without a carriage return" },
        { string.Concat(Enumerable.Repeat("*1\r\n", 40)) + ":1\r\n", "arrays nested deeper than 32" },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void Parses_every_reply_type(string wire, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(wire);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));

        Assert.True(RespParser.TryRead(ref reader, out var reply));
        Assert.Equal(expected, Describe(reply!));
        Assert.Equal(bytes.Length, reader.Consumed);
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void Waits_for_more_bytes_at_every_byte_boundary_and_parses_one_byte_at_a_time(string wire, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(wire);
        for (var length = 0; length < bytes.Length; length++)
        {
            var partial = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, length));
            Assert.False(RespParser.TryRead(ref partial, out _), $"complete after only {length} of {bytes.Length} bytes");
        }

        // The whole reply, as one segment per byte (bytes that arrived one at a time).
        var reader = new SequenceReader<byte>(Segments.Of(bytes.Select(b => new[] { b }).ToArray()));
        Assert.True(RespParser.TryRead(ref reader, out var reply));
        Assert.Equal(expected, Describe(reply!));
        Assert.Equal(bytes.Length, reader.Consumed);
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void Parses_a_reply_split_into_two_segments_anywhere(string wire, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(wire);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var reader = new SequenceReader<byte>(Segments.Of(bytes[..split], bytes[split..]));
            Assert.True(RespParser.TryRead(ref reader, out var reply));
            Assert.Equal(expected, Describe(reply!));
        }
    }

    [Fact]
    public void Reads_back_to_back_replies_and_stops_before_an_incomplete_one()
    {
        var bytes = Encoding.UTF8.GetBytes("+OK\r\n:2\r\n$3\r\nabc\r\n*2\r\n:1\r\n");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        var replies = new List<string>();
        var consumed = 0L;
        while (RespParser.TryRead(ref reader, out var reply))
        {
            replies.Add(Describe(reply!));
            consumed = reader.Consumed;
        }

        Assert.Equal(["+OK", ":2", "$abc"], replies);
        Assert.Equal("+OK\r\n:2\r\n$3\r\nabc\r\n".Length, consumed);
    }

    [Fact]
    public void A_large_bulk_string_is_copied_intact()
    {
        var payload = new byte[1024 * 1024];
        new Random(7).NextBytes(payload);
        var wire = Encoding.ASCII.GetBytes($"${payload.Length}\r\n").Concat(payload).Concat("\r\n"u8.ToArray()).ToArray();
        var reader = new SequenceReader<byte>(Segments.Of(wire[..1000], wire[1000..500_000], wire[500_000..]));

        Assert.True(RespParser.TryRead(ref reader, out var reply));
        Assert.True(reply!.AsBytes().Span.SequenceEqual(payload));
    }

    [Fact]
    public void A_huge_announced_array_waits_for_its_bytes_instead_of_allocating()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>("*2000000000\r\n:1\r\n"u8.ToArray()));
        Assert.False(RespParser.TryRead(ref reader, out _));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_replies_throw_a_protocol_exception_that_says_what_is_wrong(string wire, string problem)
    {
        var bytes = Encoding.UTF8.GetBytes(wire);
        var error = Assert.Throws<RedisProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
            RespParser.TryRead(ref reader, out _);
        });
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Random_bytes_only_ever_parse_wait_for_more_or_throw_a_protocol_exception()
    {
        await Task.Run(() =>
        {
            var random = new Random(20261122);
            var alphabet = "+-:$*\r\n0123456789-1abc_"u8.ToArray();
            string[] fragments = ["+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "*2\r\n", "*0\r\n", "$0\r\n\r\n"];
            var outcomes = new int[3];
            for (var round = 0; round < 50_000; round++)
            {
                byte[] bytes;
                if (round % 2 == 0)
                {
                    // Pure noise, mostly from the bytes RESP is made of.
                    bytes = new byte[random.Next(0, 48)];
                    for (var i = 0; i < bytes.Length; i++)
                    {
                        bytes[i] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
                    }
                }
                else
                {
                    // Valid replies glued together, then cut short and/or with one byte changed.
                    bytes = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 6)).Select(_ => fragments[random.Next(fragments.Length)])));
                    bytes = bytes[..random.Next(bytes.Length / 2, bytes.Length + 1)];
                    if (bytes.Length > 0 && random.Next(2) == 0)
                    {
                        bytes[random.Next(bytes.Length)] = random.Next(2) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
                    }
                }

                var sequence = bytes.Length > 1 ? Segments.Of(bytes[..(bytes.Length / 2)], bytes[(bytes.Length / 2)..]) : new ReadOnlySequence<byte>(bytes);
                try
                {
                    var reader = new SequenceReader<byte>(sequence);
                    var parsed = 0;
                    while (RespParser.TryRead(ref reader, out _))
                    {
                        parsed++;
                        Assert.True(parsed <= bytes.Length, "parsed more replies than there are bytes");
                    }

                    outcomes[parsed > 0 ? 1 : 0]++;
                }
                catch (RedisProtocolException)
                {
                    outcomes[2]++;
                }
            }

            // The mix shows the fuzzing reaches all three outcomes rather than failing at the first byte.
            Assert.All(outcomes, count => Assert.True(count > 100, $"outcomes: {string.Join(", ", outcomes)}"));
        });
    }

    /// <summary>A compact text form of a reply for comparisons: +text, -text, :n, $text, $null, *null, [a,b].</summary>
    private static string Describe(RedisReply reply) => reply.Kind switch
    {
        _ when reply.IsNull => reply.Kind == RedisReplyKind.Array ? "*null" : "$null",
        RedisReplyKind.SimpleString => "+" + reply.AsString(),
        RedisReplyKind.Error => "-" + reply.ToException().Message,
        RedisReplyKind.Integer => ":" + reply.AsInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
        RedisReplyKind.BulkString => "$" + reply.AsString(),
        _ => "[" + string.Join(",", reply.AsArray().Select(Describe)) + "]",
    };
}
