using System.Net.WebSockets;
using System.Text;

namespace ChatCluster.Bench.WebSockets;

/// <summary>
/// One bench client: a WebSocket that always has a receive pending (so the server's PINGs are
/// answered by the client stack) and sends an app-level <c>ping</c> now and then.
/// </summary>
internal sealed class HeldConnection : IAsyncDisposable
{
    private readonly ClientWebSocket socket;
    private readonly Task receiving;
    private long pongs;

    private HeldConnection(ClientWebSocket socket)
    {
        this.socket = socket;
        receiving = ReceiveAsync();
    }

    public bool IsOpen => socket.State == WebSocketState.Open && !receiving.IsCompleted;

    public long Pongs => Interlocked.Read(ref pongs);

    public static async Task<HeldConnection> OpenAsync(Uri uri, string token, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // the server pings; the client only answers
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
            return new HeldConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task PingAsync(string id, CancellationToken cancellationToken) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"ping","id":"{{id}}"}"""), WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", timeout.Token).ConfigureAwait(false);
                await receiving.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // Going away anyway.
        }

        socket.Dispose();
    }

    private async Task ReceiveAsync()
    {
        // Replies are tiny (pong frames); a larger server frame is simply read in pieces.
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (result.EndOfMessage && buffer.AsSpan(0, result.Count).IndexOf("\"pong\""u8) >= 0)
                {
                    Interlocked.Increment(ref pongs);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended; IsOpen says so.
        }
    }
}
