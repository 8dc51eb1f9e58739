using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>A host with small limits, so the tests reach them in a few frames and seconds.</summary>
public sealed class LimitsFixture : IAsyncLifetime
{
    public const int Burst = 5;
    public const int AbuseThreshold = 10;
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);

    private GatewayHost? host;

    public GatewayHost Host => host ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => host = await GatewayHost.StartAsync(configure: settings =>
    {
        settings["ChatCluster:Gateway:SendsPerSecond"] = "1";
        settings["ChatCluster:Gateway:SendBurst"] = Burst.ToString(CultureInfo.InvariantCulture);
        settings["ChatCluster:Gateway:AbuseThreshold"] = AbuseThreshold.ToString(CultureInfo.InvariantCulture);
        settings["ChatCluster:Gateway:KeepAliveInterval"] = KeepAliveInterval.ToString("c", CultureInfo.InvariantCulture);
        settings["ChatCluster:Gateway:IdleTimeout"] = IdleTimeout.ToString("c", CultureInfo.InvariantCulture);
    });

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}

/// <summary>The per-user send rate limit, the 1008 close for abuse, and keep-alive pings that keep quiet clients and drop dead peers.</summary>
public sealed class LimitsTests(LimitsFixture fixture) : IClassFixture<LimitsFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task Sends_within_the_burst_all_get_acks()
    {
        await using var alice = await Host.ConnectAsync("lim-under-alice");
        for (var i = 0; i < LimitsFixture.Burst; i++)
        {
            await alice.SendAsync(Send(i, "lim-under-bob"));
        }

        for (var i = 0; i < LimitsFixture.Burst; i++)
        {
            var reply = await alice.NextAsync() ?? throw new InvalidOperationException("closed");
            Assert.Equal("ack", Type(reply));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_rate_limited_send_is_not_stored()
    {
        await using var alice = await Host.ConnectAsync("lim-rej-alice");
        var (acked, rejectedId) = await SendUntilRateLimitedAsync(alice, "lim-rej-bob");

        var sync = await alice.RequestAsync("""{"type":"sync","id":"s","timeline":"user:lim-rej-alice","afterSeq":0,"limit":500}""");
        Assert.Equal("messages", Type(sync));
        var clientIds = sync.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("clientMsgId").GetString()).ToList();
        Assert.Equal(acked, clientIds.Count);
        Assert.DoesNotContain("c-" + rejectedId, clientIds);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_flood_of_sends_gets_rate_limited_and_then_a_1008_close()
    {
        await using var alice = await Host.ConnectAsync("lim-flood-alice");
        await SendUntilRateLimitedAsync(alice, "lim-flood-bob");

        // Keep sending past the abuse threshold without reading; the server must close rather than answer forever.
        for (var i = 100; i < 100 + (LimitsFixture.AbuseThreshold * 3); i++)
        {
            await alice.SendAsync(Send(i, "lim-flood-bob"));
        }

        while (await alice.NextAsync() is { } frame)
        {
            // An ack is possible: the bucket may refill a token during the flood.
            Assert.True(Type(frame) == "ack" || frame.GetProperty("code").GetString() == "rate_limited", $"unexpected {frame}");
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, alice.CloseStatus);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quiet_client_that_keeps_receiving_stays_open_past_several_idle_timeouts()
    {
        await using var quiet = await Host.ConnectAsync("lim-idle-quiet");

        // A pending receive is all a ClientWebSocket needs to answer the server's pings; it sends no frame.
        var next = quiet.NextAsync();
        await Task.Delay(LimitsFixture.IdleTimeout * 3);
        Assert.False(next.IsCompleted, "the server ended or wrote to a quiet client");
        Assert.Equal(WebSocketState.Open, quiet.State);

        await quiet.SendAsync("""{"type":"ping","id":"after-quiet"}""");
        var pong = await next ?? throw new InvalidOperationException($"closed ({quiet.CloseStatus})");
        Assert.Equal("pong", Type(pong));
        Assert.Equal("after-quiet", pong.GetProperty("id").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_peer_that_never_answers_pings_is_dropped_by_the_server()
    {
        var before = await Host.SettledOpenConnectionsAsync();
        using var peer = await RawWebSocketPeer.UpgradeAsync(Host.Port, await Host.TokenAsync("lim-idle-gone"));
        await WaitForOpenConnectionsAsync(before + 1, TimeSpan.FromSeconds(10));

        // The peer reads nothing and answers nothing; the server must give up on it by itself.
        await WaitForOpenConnectionsAsync(before, LimitsFixture.KeepAliveInterval + LimitsFixture.IdleTimeout + TimeSpan.FromSeconds(20));

        // What the server left on the wire: its pings, then the end of the connection without a close frame.
        var opcodes = await peer.ReadOpcodesToEndAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(RawWebSocketPeer.PingOpcode, opcodes);
        Assert.DoesNotContain(RawWebSocketPeer.CloseOpcode, opcodes);
    }

    /// <summary>Polls the connection gauge in <c>/metrics</c> until it shows <paramref name="expected"/>; fails after <paramref name="bound"/>.</summary>
    private async Task WaitForOpenConnectionsAsync(int expected, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        int open;
        while ((open = await Host.OpenConnectionsAsync()) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{open} connections open after {bound}; expected {expected}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends one at a time until a send is refused; the number acked and the refused frame's id.</summary>
    private static async Task<(int Acked, string RejectedId)> SendUntilRateLimitedAsync(WsClient client, string to)
    {
        // The bucket refills by one a second, so a few more than the burst may be acked; never many more.
        for (var i = 0; i < LimitsFixture.Burst + 5; i++)
        {
            var reply = await client.RequestAsync(Send(i, to));
            if (Type(reply) == "error")
            {
                Assert.Equal("rate_limited", reply.GetProperty("code").GetString());
                Assert.Equal(i.ToString(CultureInfo.InvariantCulture), reply.GetProperty("id").GetString());
                Assert.True(i >= LimitsFixture.Burst, $"refused after only {i} sends");
                return (i, reply.GetProperty("id").GetString()!);
            }

            Assert.Equal("ack", Type(reply));
        }

        throw new InvalidOperationException("no send was rate limited");
    }

    private static string Send(int id, string to) =>
        $$$"""{"type":"send","id":"{{{id}}}","to":"user:{{{to}}}","clientMsgId":"c-{{{id}}}","body":{"n":{{{id}}}}}""";

    private static string? Type(JsonElement frame) => frame.GetProperty("type").GetString();
}
