using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Tests.Upgrades;
using ChatCluster.Gateway.Upgrades;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Tests.Connections;

/// <summary>A connection's outbound queue against a real WebSocket pair over in-memory pipes.</summary>
public sealed class GatewayConnectionTests : IDisposable
{
    // Small, so a client that does not read holds the server's sends up quickly.
    private readonly Pipe toClient = new(new PipeOptions(pauseWriterThreshold: 2048, resumeWriterThreshold: 1024));
    private readonly Pipe toServer = new();
    private readonly WebSocket server;
    private readonly WebSocket client;

    public GatewayConnectionTests()
    {
        var noPings = TimeSpan.Zero;
        server = WebSocket.CreateFromStream(
            new DuplexPipeStream(new TestDuplexPipe(toServer.Reader, toClient.Writer)),
            new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = noPings });
        client = WebSocket.CreateFromStream(
            new DuplexPipeStream(new TestDuplexPipe(toClient.Reader, toServer.Writer)),
            new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = noPings });
    }

    [Fact(Timeout = 20_000)]
    public async Task Frames_queued_one_after_another_arrive_in_order()
    {
        var connection = Connection(queueLength: 1024);
        for (var i = 0; i < 500; i++)
        {
            Assert.True(connection.TryEnqueue(Frame(i)));
        }

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), await ReceiveAsync());
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Frames_queued_from_many_threads_all_arrive_and_each_threads_in_order()
    {
        var connection = Connection(queueLength: 100_000);
        const int Threads = 4;
        const int Each = 500;
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < Each; i++)
            {
                Assert.True(connection.TryEnqueue(Encoding.UTF8.GetBytes($"{t}:{i}")));
            }
        })));

        var next = new int[Threads];
        for (var n = 0; n < Threads * Each; n++)
        {
            var parts = (await ReceiveAsync()).Split(':');
            var thread = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(next[thread]++, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.All(next, count => Assert.Equal(Each, count));
    }

    [Fact(Timeout = 20_000)]
    public async Task A_full_queue_refuses_the_frame_and_closes_with_1008_once_the_client_reads_again()
    {
        var connection = Connection(queueLength: 4);
        var big = new byte[4096];
        var refused = false;
        for (var i = 0; i < 100 && !refused; i++)
        {
            refused = !connection.TryEnqueue(big);
            await Task.Delay(1);
        }

        Assert.True(refused, "a client that reads nothing never filled the queue");
        Assert.True(connection.IsClosing);
        Assert.False(connection.TryEnqueue(big), "a closing connection took a frame");

        // The frames already on their way are still delivered, then the close frame.
        WebSocketReceiveResult result;
        var buffer = new byte[8192];
        do
        {
            result = await client.ReceiveAsync(buffer, CancellationToken.None);
        }
        while (result.MessageType != WebSocketMessageType.Close);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
        Assert.Equal("slow consumer: outbound queue full", result.CloseStatusDescription);
    }

    [Fact(Timeout = 20_000)]
    public async Task When_the_client_closes_what_is_queued_is_sent_and_the_close_is_answered()
    {
        var connection = Connection(queueLength: 16);
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        var closed = await server.ReceiveAsync(new byte[16], CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);

        Assert.True(connection.TryEnqueue(Frame(1)));
        await connection.CompleteAsync();

        Assert.Equal("1", await ReceiveAsync());
        var answer = await client.ReceiveAsync(new byte[16], CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, answer.MessageType);
        Assert.Equal(WebSocketState.Closed, client.State);
        Assert.False(connection.TryEnqueue(Frame(2)), "an ended connection took a frame");
    }

    [Fact(Timeout = 20_000)]
    public async Task Close_drops_what_is_queued_and_sends_the_close_frame_next()
    {
        var connection = Connection(queueLength: 1024);
        var big = new byte[4096];
        for (var i = 0; i < 20; i++)
        {
            Assert.True(connection.TryEnqueue(big)); // held up: the client reads nothing yet
        }

        connection.Close((WebSocketCloseStatus)1012, "draining");

        var data = 0;
        WebSocketReceiveResult result;
        var buffer = new byte[8192];
        while ((result = await client.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
        {
            data++;
        }

        Assert.InRange(data, 0, 1); // at most the frame the socket was sending; the 19 still queued were dropped
        Assert.Equal((WebSocketCloseStatus)1012, result.CloseStatus);
        await connection.CompleteAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task A_closing_connection_whose_client_reads_nothing_is_aborted_after_the_grace_period()
    {
        var connection = Connection(queueLength: 1024);
        Assert.True(connection.TryEnqueue(new byte[8192])); // stuck: more than the pipe takes, and the client reads nothing
        var receive = server.ReceiveAsync(new byte[16], CancellationToken.None);

        connection.Close(WebSocketCloseStatus.PolicyViolation, "slow consumer: outbound queue full");

        // The pending receive ends with the abort, as the receive loop of a real connection does.
        await Assert.ThrowsAnyAsync<Exception>(() => receive);
        Assert.Equal(WebSocketState.Aborted, server.State);
        await connection.CompleteAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task Ending_while_a_send_is_stuck_on_a_client_that_reads_nothing_is_bounded_by_the_grace_period()
    {
        var connection = Connection(queueLength: 1024);
        Assert.True(connection.TryEnqueue(new byte[8192])); // stuck: more than the pipe takes, and the client reads nothing
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        var closed = await server.ReceiveAsync(new byte[16], CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, closed.MessageType);

        // The receive loop has ended; the end must not wait for the stuck send forever.
        await connection.CompleteAsync();
        Assert.Equal(WebSocketState.Aborted, server.State);
    }

    public void Dispose()
    {
        server.Dispose();
        client.Dispose();
    }

    [Fact(Timeout = 20_000)]
    public async Task Pushes_go_out_in_seq_order_and_one_missing_past_the_window_is_given_up()
    {
        var connection = new GatewayConnection("alice", new Session("gw", "1"), server, 1024) { PushOrderWindow = TimeSpan.FromMilliseconds(50) };
        Assert.True(connection.TryPush(Message(1), Frame(1)));
        Assert.True(connection.TryPush(Message(3), Frame(3))); // waits for 2
        Assert.True(connection.TryPush(Message(2), Frame(2)));
        Assert.True(connection.TryPush(Message(2), Frame(2))); // a second delivery: dropped
        Assert.True(connection.TryPush(Message(5), Frame(5))); // 4 never comes

        Assert.Equal("1", await ReceiveAsync());
        Assert.Equal("2", await ReceiveAsync());
        Assert.Equal("3", await ReceiveAsync());
        Assert.Equal("5", await ReceiveAsync()); // after the window
        Assert.True(connection.TryPush(Message(4), Frame(4))); // too late: dropped
        Assert.True(connection.TryPush(Message(6), Frame(6)));
        Assert.Equal("6", await ReceiveAsync());
    }

    private static ChatMessage Message(long seq) => new("user:alice", seq, $"m{seq}", "bob", "user:alice", $"c{seq}", MessageKind.User, "{}", 0);

    private static byte[] Frame(int i) => Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private GatewayConnection Connection(int queueLength) => new("alice", new Session("gw", "1"), server, queueLength);

    private async Task<string> ReceiveAsync()
    {
        var buffer = new byte[8192];
        var result = await client.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
