using System.Buffers;
using System.Text;
using ChatCluster.Gateway.Upgrades;

namespace ChatCluster.Gateway.Tests.Upgrades;

/// <summary>
/// Which first bytes of a connection the gateway upgrades itself: only a whole, plain upgrade to <c>/ws</c>. Everything
/// else must come back null, so that Kestrel answers it as before.
/// </summary>
public sealed class UpgradeRequestTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private const string Plain = "GET /ws?access_token=tok HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Fact]
    public void A_plain_upgrade_gives_its_key_token_and_head_length()
    {
        var request = Parse(Plain);

        Assert.NotNull(request);
        Assert.Equal(Key, request.Key);
        Assert.Equal("tok", request.Token);
        Assert.Equal(Plain.Length, request.HeadLength);
    }

    [Fact]
    public void Frames_after_the_head_are_not_part_of_it()
    {
        var request = Parse(Plain + "\x81\x85 more bytes");
        Assert.Equal(Plain.Length, request?.HeadLength);
    }

    [Fact]
    public void A_head_split_over_buffer_segments_is_read_whole()
    {
        var bytes = Encoding.ASCII.GetBytes(Plain);
        var first = new Segment(bytes.AsMemory(0, 20));
        var last = first.Append(bytes.AsMemory(20));
        var request = UpgradeRequest.TryParse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));
        Assert.Equal(Key, request?.Key);
    }

    [Fact]
    public void The_switching_protocols_answer_carries_the_rfc_6455_accept_value()
    {
        // RFC 6455, section 1.3: this key's accept value.
        var answer = Encoding.ASCII.GetString(Parse(Plain)!.SwitchingProtocols());

        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: websocket\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: Upgrade\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("access_token=a%2Bb%3D", "a+b=")]
    [InlineData("ACCESS_TOKEN=upper", "upper")]
    [InlineData("x=1&access_token=second", "second")]
    public void The_query_token_is_decoded_and_matched_as_aspnet_core_does(string query, string token)
    {
        Assert.Equal(token, Parse(Plain.Replace("access_token=tok", query, StringComparison.Ordinal))?.Token);
    }

    [Fact]
    public void A_bearer_header_gives_the_token_when_the_query_has_none()
    {
        var head = Plain.Replace("/ws?access_token=tok", "/ws", StringComparison.Ordinal).Replace("Host:", "Authorization: bearer  hdr \r\nHost:", StringComparison.Ordinal);
        Assert.Equal("hdr", Parse(head)?.Token);
    }

    [Fact]
    public void Without_a_token_it_is_still_an_upgrade_with_none()
    {
        // Parsed, so the token check refuses it; the middleware then hands it to Kestrel, which answers 401.
        var request = Parse(Plain.Replace("/ws?access_token=tok", "/ws", StringComparison.Ordinal));
        Assert.NotNull(request);
        Assert.Null(request.Token);
    }

    [Fact]
    public void Header_names_and_the_upgrade_values_are_case_insensitive_and_connection_is_a_list()
    {
        var head = Plain.Replace("Upgrade: websocket", "UPGRADE: WebSocket", StringComparison.Ordinal)
            .Replace("Connection: Upgrade", "connection: keep-alive, upgrade", StringComparison.Ordinal);
        Assert.NotNull(Parse(head));
    }

    [Theory]
    [InlineData("GET /ws?access_token=tok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n")] // head not ended
    [InlineData("GET /ws?access_token=tok HTTP/1.1\r\n")]
    [InlineData("GET /w")]
    [InlineData("")]
    [InlineData("\x16\x03\x01\x02\x00\x01")] // a TLS ClientHello
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")] // HTTP/2 with prior knowledge
    [InlineData("POST /ws HTTP/1.1\r\nHost: h\r\n\r\n")]
    public void Anything_but_a_whole_get_of_ws_is_not_taken(string bytes)
    {
        Assert.Null(Parse(bytes));
    }

    [Theory]
    [InlineData("GET /ws?", "GET /wsx?")]
    [InlineData("GET /ws?", "GET /ws/?")]
    [InlineData("GET /ws?", "GET /WS?")]
    [InlineData("GET /ws?", "GET /w%73?")]
    [InlineData("HTTP/1.1\r\n", "HTTP/1.0\r\n")]
    [InlineData("GET /ws?access_token=tok HTTP", "GET /ws?access_token=tok  HTTP")]
    [InlineData("?access_token=tok", "?access_token=tok#frag")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "")] // no Host
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: a\r\nHost: b\r\n")]
    [InlineData("Upgrade: websocket", "Upgrade: h2c")]
    [InlineData("Connection: Upgrade", "Connection: keep-alive")]
    [InlineData("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8")]
    [InlineData("Sec-WebSocket-Key: " + Key, "Sec-WebSocket-Key: c2hvcnQ=")] // not 16 bytes
    [InlineData("Sec-WebSocket-Key: " + Key, "Sec-WebSocket-Key: not base64 at all!!!!!!!")]
    [InlineData("Sec-WebSocket-Key: " + Key + "\r\n", "Sec-WebSocket-Key: " + Key + "\r\nSec-WebSocket-Key: " + Key + "\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nContent-Length: 5\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nTransfer-Encoding: chunked\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nX-Folded: a\r\n  b\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nBad Name: a\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nNo-Colon\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nX-Bare-LF: a\nb\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nX-Latin: caf\u00e9\r\n")]
    [InlineData("Host: 127.0.0.1:5000\r\n", "Host: 127.0.0.1:5000\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n")]
    public void A_request_kestrel_might_read_otherwise_is_left_to_kestrel(string from, string to)
    {
        Assert.NotNull(Parse(Plain));
        Assert.Null(Parse(Plain.Replace(from, to, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_head_longer_than_the_limit_is_left_to_kestrel()
    {
        var head = Plain.Replace("Host:", "X-Long: " + new string('a', UpgradeRequest.MaxHeadBytes) + "\r\nHost:", StringComparison.Ordinal);
        Assert.Null(Parse(head));
    }

    private static UpgradeRequest? Parse(string bytes) => UpgradeRequest.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(bytes)));

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
