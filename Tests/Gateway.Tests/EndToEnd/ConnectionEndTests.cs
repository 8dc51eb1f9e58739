using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>How the server ends a connection: a slow reader is dropped (1008), a draining gateway closes with 1012.</summary>
public sealed class ConnectionEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 120_000)]
    public async Task A_reader_that_stops_reading_is_dropped_while_the_sender_and_the_messages_are_fine()
    {
        const int Messages = 1_000;
        await using var host = await GatewayHost.StartAsync(configure: settings =>
        {
            settings["ChatCluster:Gateway:OutboundQueue"] = "8";
            settings["ChatCluster:Gateway:SendsPerSecond"] = "100000";
            settings["ChatCluster:Gateway:SendBurst"] = "100000";
        });
        await using var slow = await host.ConnectAsync("end-slow-reader");
        await using var sender = await host.ConnectAsync("end-slow-sender");
        Assert.Equal(2, await OpenConnectionsAsync(host));

        // ~15 MB of pushes: more than the socket buffers on both sides and the 8-frame queue can hold.
        var text = new string('x', 15_000);
        for (var i = 0; i < Messages; i++)
        {
            var ack = await sender.RequestAsync($$$"""{"type":"send","id":"{{{i}}}","to":"user:end-slow-reader","clientMsgId":"c{{{i}}}","body":{"text":"{{{text}}}"}}""");
            Assert.Equal("ack", ack.GetProperty("type").GetString());
        }

        // The server lets go of the slow connection (the close frame cannot get through a full socket, so it aborts after a grace period).
        var deadline = DateTime.UtcNow + Wait;
        while (await OpenConnectionsAsync(host) != 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "the slow connection was never dropped");
            await Task.Delay(100);
        }

        Assert.Equal("pong", (await sender.RequestAsync("""{"type":"ping","id":"p"}""")).GetProperty("type").GetString());

        // Reading now ends (close 1008 or an aborted socket) long before all pushes arrive: the queue never grew.
        var received = 0;
        try
        {
            while (await slow.NextAsync() is not null)
            {
                received++;
            }

            Assert.Equal(WebSocketCloseStatus.PolicyViolation, slow.CloseStatus);
        }
        catch (WebSocketException)
        {
            // Aborted: the grace period for the close frame ran out.
        }

        Assert.True(received < Messages, $"the slow reader got all {received} messages; it was never dropped");

        // Nothing is lost: the reader, reconnecting, finds every message with sync.
        await using var again = await host.ConnectAsync("end-slow-reader");
        var page = await again.RequestAsync("""{"type":"sync","id":"s","timeline":"user:end-slow-reader","afterSeq":990,"limit":10}""");
        Assert.Equal(Messages, page.GetProperty("lastSeq").GetInt64());
        Assert.Equal(Enumerable.Range(991, 10), page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt32()));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_draining_gateway_closes_every_connection_with_1012()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var first = await host.ConnectAsync("end-drain-a");
        await using var second = await host.ConnectAsync("end-drain-b");

        // Reading already, as a client does, so the close handshake completes at once.
        var firstEnd = first.NextAsync();
        var secondEnd = second.NextAsync();
        JsonElement? afterFirst = null;
        JsonElement? afterSecond = null;
        await host.RestartAsync(whileDown: async () =>
        {
            afterFirst = await firstEnd;
            afterSecond = await secondEnd;
        });

        Assert.Null(afterFirst);
        Assert.Null(afterSecond);
        Assert.Equal((WebSocketCloseStatus)1012, first.CloseStatus);
        Assert.Equal((WebSocketCloseStatus)1012, second.CloseStatus);

        // The restarted gateway takes the clients back.
        await using var back = await host.ConnectAsync("end-drain-a");
        Assert.Equal("pong", (await back.RequestAsync("""{"type":"ping","id":"p"}""")).GetProperty("type").GetString());
    }

    private static async Task<long> OpenConnectionsAsync(GatewayHost host)
    {
        var text = await host.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = text.Split('\n').Single(line => line.StartsWith("chatcluster_gateway_connections ", StringComparison.Ordinal)
            || line.StartsWith("chatcluster_gateway_connections{", StringComparison.Ordinal));
        return (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }
}
