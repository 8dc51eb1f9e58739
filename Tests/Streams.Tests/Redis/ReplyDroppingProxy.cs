using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Streams.Tests.Redis;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a redis-server that can lose commands or replies the way a Redis restart does.
/// After <see cref="DropNextReplies"/> the next bytes the server sends on each open connection are thrown away and that
/// connection is closed: the server ran the command (its effect stays, e.g. entries in a consumer's pending list), the
/// client sees its connection close with the command unanswered. After <see cref="DropNextRequests"/> the next bytes a
/// client sends are thrown away instead: the command never ran, the client sees the same. Connections made afterwards
/// are proxied as usual.
/// </summary>
internal sealed class ReplyDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint server;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Connection> connections = [];
    private readonly Lock gate = new();
    private readonly Task accepting;
    private int dropped;

    public ReplyDroppingProxy(int serverPort)
    {
        server = new IPEndPoint(IPAddress.Loopback, serverPort);
        listener.Start();
        accepting = Task.Run(AcceptAsync);
    }

    /// <summary>"127.0.0.1:port" of the proxy, for StackExchange.Redis.</summary>
    public string Endpoint => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Connections closed with a reply thrown away so far.</summary>
    public int Dropped => Volatile.Read(ref dropped);

    /// <summary>Every connection open now loses the next reply the server sends on it, and is closed then.</summary>
    public void DropNextReplies() => Arm(fromServer: true);

    /// <summary>Every connection open now loses the next command the client sends on it, and is closed then.</summary>
    public void DropNextRequests() => Arm(fromServer: false);

    private void Arm(bool fromServer)
    {
        lock (gate)
        {
            foreach (var connection in connections)
            {
                connection.Drop = fromServer ? Direction.FromServer : Direction.FromClient;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (gate)
        {
            foreach (var connection in connections)
            {
                connection.Close();
            }
        }

        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(server, stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            var connection = new Connection(client, upstream);
            lock (gate)
            {
                connections.Add(connection);
            }

            _ = Task.Run(() => PumpAsync(connection, connection.Client, connection.Upstream, fromServer: false));
            _ = Task.Run(() => PumpAsync(connection, connection.Upstream, connection.Client, fromServer: true));
        }
    }

    private async Task PumpAsync(Connection connection, Socket from, Socket to, bool fromServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stopping.Token);
                if (read == 0)
                {
                    break;
                }

                if (connection.Drop == (fromServer ? Direction.FromServer : Direction.FromClient))
                {
                    // Lost: the client sees the connection close with its command sent and unanswered.
                    Interlocked.Increment(ref dropped);
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stopping.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        connection.Close();
        lock (gate)
        {
            connections.Remove(connection);
        }
    }

    private enum Direction
    {
        None,
        FromServer,
        FromClient,
    }

    private sealed class Connection(Socket client, Socket upstream)
    {
        public Socket Client { get; } = client;

        public Socket Upstream { get; } = upstream;

        private volatile int drop;

        /// <summary>Which way the next bytes are lost (closing the connection), if any.</summary>
        public Direction Drop
        {
            get => (Direction)drop;
            set => drop = (int)value;
        }

        public void Close()
        {
            Client.Dispose();
            Upstream.Dispose();
        }
    }
}
