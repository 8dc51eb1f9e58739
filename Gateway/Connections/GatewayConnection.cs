using System.Net.WebSockets;
using System.Threading.Channels;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// One client's WebSocket: its session and a bounded outbound queue that one writer task drains in
/// order. Replies and pushes are only queued, so no caller ever waits for a slow client; a full
/// queue closes the connection with 1008.
/// </summary>
public sealed class GatewayConnection : IDisposable
{
    /// <summary>How long a closing connection may take to send its close frame before it is aborted.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly WebSocket socket;
    private readonly Channel<byte[]> outbound;
    private readonly CancellationTokenSource abort = new();
    private int closing;
    private int ended;
    private WebSocketCloseStatus closeStatus;
    private string closeDescription = "";

    public GatewayConnection(string userId, Session session, WebSocket socket, int queueLength)
    {
        UserId = userId;
        Session = session;
        this.socket = socket;
        outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of dropping silently
        });
    }

    /// <summary>The token's subject: the sender of everything this connection sends.</summary>
    public string UserId { get; }

    public Session Session { get; }

    /// <summary>Counts what the writer sends, pushes included; null for a connection built without metrics.</summary>
    public GatewayMetrics? Metrics { get; init; }

    /// <summary>Cancelled when the connection must stop now: its close took too long, or it ended.</summary>
    public CancellationToken Aborted => abort.Token;

    public bool IsClosing => Volatile.Read(ref closing) != 0;

    /// <summary>Queues one frame; never waits. False (and the connection closing with 1008) when the queue is full.</summary>
    public bool TryEnqueue(byte[] frame)
    {
        if (outbound.Writer.TryWrite(frame))
        {
            return true;
        }

        if (Volatile.Read(ref ended) == 0)
        {
            Close(WebSocketCloseStatus.PolicyViolation, "slow consumer: outbound queue full");
        }

        return false; // full, or the connection ended while the reply was on its way: it is dropped
    }

    /// <summary>Starts closing: queued frames are dropped, the writer sends the close frame, and the socket is aborted after a grace period.</summary>
    public void Close(WebSocketCloseStatus status, string description)
    {
        if (Interlocked.Exchange(ref closing, 1) != 0)
        {
            return;
        }

        closeStatus = status;
        closeDescription = description;
        outbound.Writer.TryComplete();
        try
        {
            abort.CancelAfter(CloseGrace);
        }
        catch (ObjectDisposedException)
        {
            // The connection already ended.
        }
    }

    /// <summary>Sends queued frames in order until the connection closes; then the close frame, if one was asked for.</summary>
    public async Task RunWriterAsync()
    {
        try
        {
            // WaitToReadAsync + TryRead rather than ReadAllAsync: no enumerator object kept per idle connection.
            while (!IsClosing && await outbound.Reader.WaitToReadAsync(abort.Token).ConfigureAwait(false))
            {
                while (!IsClosing && outbound.Reader.TryRead(out var frame))
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, abort.Token).ConfigureAwait(false);
                    Metrics?.FrameOut(frame);
                }
            }

            if (IsClosing && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(closeStatus, closeDescription, abort.Token).ConfigureAwait(false);
            }
            else if (socket.State == WebSocketState.CloseReceived)
            {
                // The client closed: complete the handshake.
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", abort.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket is gone or was aborted; the receive loop ends too.
        }
    }

    /// <summary>Ends the writer after the receive loop ended: no more frames will be sent.</summary>
    public void Complete()
    {
        Volatile.Write(ref ended, 1);
        outbound.Writer.TryComplete();
        abort.CancelAfter(CloseGrace);
    }

    public void Dispose() => abort.Dispose();
}
