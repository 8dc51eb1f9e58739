using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using ChatCluster.Client.Protocol;

namespace ChatCluster.Client.Connection;

/// <summary>
/// One WebSocket to the gateway: a writer task sends queued frames in order (a WebSocket allows one
/// send at a time), and <see cref="ReceiveAsync"/> hands every server frame to a callback until the
/// socket closes. A dropped connection is never reused; the client opens a new one.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private readonly ClientWebSocket socket;
    private readonly Channel<byte[]> outbound = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task writer;

    private ClientConnection(ClientWebSocket socket)
    {
        this.socket = socket;
        writer = Task.Run(WriteAsync);
    }

    /// <summary>Opens a connection; a refused upgrade with 401 is a <see cref="ChatServerException"/> with code <c>unauthorized</c>.</summary>
    public static async Task<ClientConnection> OpenAsync(ChatClientOptions options, string token, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            socket.Options.KeepAliveInterval = options.KeepAliveInterval;
            socket.Options.CollectHttpResponseDetails = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(options.ServerUri, options.HttpInvoker, timeout.Token).ConfigureAwait(false);
            }
            catch (WebSocketException) when (socket.HttpStatusCode == HttpStatusCode.Unauthorized)
            {
                throw new ChatServerException("unauthorized", "the gateway refused the token (HTTP 401)");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no connection to {options.ServerUri} within {options.ConnectTimeout}");
            }

            return new ClientConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues a frame to send; false when the connection has ended.</summary>
    public bool Enqueue(byte[] frame) => outbound.Writer.TryWrite(frame);

    /// <summary>Reads frames until the socket closes or fails; returns the server's close code and reason, if it sent one.</summary>
    public async Task<string> ReceiveAsync(Action<ServerFrame> onFrame, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return $"closed by the server: {(int?)socket.CloseStatus} {socket.CloseStatusDescription}";
                    }

                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Text && ServerFrame.Parse(buffer.AsSpan(0, count)) is { } frame)
                {
                    onFrame(frame);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            return "connection lost: " + ex.Message;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            outbound.Writer.TryComplete();
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await foreach (var frame in outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            socket.Abort(); // a failed send ends the connection; the receive loop sees it and the client reconnects
        }
    }

    /// <summary>Closes politely (1000, or the answer to the server's close) when it can, else aborts; waits for the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        outbound.Writer.TryComplete();
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await writer.WaitAsync(timeout.Token).ConfigureAwait(false);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // Gone already; aborting below is all that is left.
        }

        socket.Abort();
        await writer.ConfigureAwait(false);
        socket.Dispose();
    }
}
