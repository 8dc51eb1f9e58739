using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>
/// Upgrades the gateway accepts on the connection itself (no Kestrel HTTP state kept), and those it leaves to Kestrel:
/// both serve the same protocol, and the client cannot tell them apart.
/// </summary>
public sealed class ConnectionUpgradeTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task A_client_websocket_is_upgraded_on_the_connection_and_served()
    {
        var before = await Host.UpgradesAsync("connection");
        await using var client = await Host.ConnectAsync("up-plain");

        var pong = await client.RequestAsync("""{"type":"ping","id":"p1"}""");
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(before + 1, await Host.UpgradesAsync("connection"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Frames_sent_in_the_same_write_as_the_head_are_read()
    {
        var head = Encoding.ASCII.GetBytes(RawWebSocketPeer.UpgradeHead(Host.Port, await Host.TokenAsync("up-eager")));
        var ping = RawWebSocketPeer.TextFrame("""{"type":"ping","id":"eager"}""");
        using var peer = await RawWebSocketPeer.SendHeadAsync(Host.Port, [[.. head, .. ping]], TimeSpan.Zero);

        Assert.StartsWith("HTTP/1.1 101", peer.Head, StringComparison.Ordinal);
        Assert.Contains("Sec-WebSocket-Accept: ", peer.Head, StringComparison.Ordinal);
        using var pong = JsonDocument.Parse(await peer.ReadTextAsync());
        Assert.Equal("pong", pong.RootElement.GetProperty("type").GetString());
        Assert.Equal("eager", pong.RootElement.GetProperty("id").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task A_head_that_comes_in_pieces_is_upgraded_by_kestrel_and_served_the_same()
    {
        var before = await Host.UpgradesAsync("http");
        var head = Encoding.ASCII.GetBytes(RawWebSocketPeer.UpgradeHead(Host.Port, await Host.TokenAsync("up-pieces")));
        using var peer = await RawWebSocketPeer.SendHeadAsync(Host.Port, [head[..25], head[25..]], TimeSpan.FromMilliseconds(200));

        Assert.StartsWith("HTTP/1.1 101", peer.Head, StringComparison.Ordinal);
        await peer.SendTextAsync("""{"type":"ping","id":"late"}""");
        Assert.Contains("\"pong\"", await peer.ReadTextAsync(), StringComparison.Ordinal);
        Assert.Equal(before + 1, await Host.UpgradesAsync("http"));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_upgrade_after_a_request_on_a_kept_alive_connection_is_upgraded_by_kestrel()
    {
        var before = await Host.UpgradesAsync("http");
        var first = Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{Host.Port}\r\n\r\n");
        var upgrade = Encoding.ASCII.GetBytes(RawWebSocketPeer.UpgradeHead(Host.Port, await Host.TokenAsync("up-second")));
        using var peer = await RawWebSocketPeer.SendHeadAsync(Host.Port, [[.. first, .. upgrade]], TimeSpan.Zero);

        Assert.StartsWith("HTTP/1.1 200", peer.Head, StringComparison.Ordinal);
        // The health body and then the 101 follow; the upgrade went through Kestrel's HTTP layer.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await Host.UpgradesAsync("http") == before)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second request was never upgraded");
            await Task.Delay(50);
        }
    }

    [Theory(Timeout = 60_000)]
    [InlineData("not.a.jwt")]
    [InlineData("")]
    public async Task A_refused_raw_upgrade_is_answered_401_by_kestrel(string token)
    {
        var head = Encoding.ASCII.GetBytes(RawWebSocketPeer.UpgradeHead(Host.Port, token));
        using var peer = await RawWebSocketPeer.SendHeadAsync(Host.Port, [head], TimeSpan.Zero);
        Assert.StartsWith("HTTP/1.1 401", peer.Head, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Turned_off_every_upgrade_goes_through_kestrel()
    {
        await using var host = await GatewayHost.StartAsync(configure: settings => settings["ChatCluster:Gateway:UpgradeOnConnection"] = "false");
        await using var client = await host.ConnectAsync("up-off");

        var pong = await client.RequestAsync("""{"type":"ping","id":"p1"}""");
        Assert.Equal("pong", pong.GetProperty("type").GetString());
        Assert.Equal(1, await host.UpgradesAsync("http"));
        Assert.Equal(0, await host.UpgradesAsync("connection"));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_draining_gateway_closes_a_connection_it_upgraded_itself_with_1012()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var client = await host.ConnectAsync("up-drain");
        Assert.Equal(1, await host.UpgradesAsync("connection"));

        var end = client.NextAsync();
        await host.RestartAsync(whileDown: async () => Assert.Null(await end));
        Assert.Equal((WebSocketCloseStatus)1012, client.CloseStatus);
    }
}
