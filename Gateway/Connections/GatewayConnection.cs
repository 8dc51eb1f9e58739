using System.Net.WebSockets;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Push;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// One client's WebSocket: its session and a bounded outbound queue, sent in order. Replies and pushes are only queued,
/// so no caller ever waits for a slow client; a full queue closes the connection with 1008.
/// <para>
/// The queue is drained by a loop that runs only while there is something to send: the first frame queued to an idle
/// connection starts it on the thread pool, and it stops when the queue is empty. An idle connection holds no task
/// and no pending wait, only the queue (memory per connection is what bounds how many one gateway holds).
/// </para>
/// </summary>
public sealed class GatewayConnection : IThreadPoolWorkItem
{
    /// <summary>How long a closing connection may take to send its close frame before it is aborted.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly WebSocket socket;
    private readonly int queueLength;
    private readonly Queue<byte[]> outbound = new(); // guarded by itself
    private bool draining; // a drain loop runs or is queued
    private bool closing; // Close was called: queued frames are dropped, the close frame goes next
    private bool ended; // the receive loop ended: nothing more will be queued
    private bool done; // the last drain ran: nothing more will be sent
    private TaskCompletionSource? lastDrain; // made only when CompleteAsync has to wait for a running drain
    private PushOrder? order; // made at the first push: an idle connection holds none
    private List<byte[]>? released; // the frames a push or an ack lets out, reused (under the lock)
    private bool expiryScheduled; // a check of held pushes is due
    private WebSocketCloseStatus closeStatus;
    private string closeDescription = "";

    public GatewayConnection(string userId, Session session, WebSocket socket, int queueLength)
    {
        UserId = userId;
        Session = session;
        this.socket = socket;
        this.queueLength = queueLength;
    }

    /// <summary>The token's subject: the sender of everything this connection sends.</summary>
    public string UserId { get; }

    public Session Session { get; }

    /// <summary>Counts what is sent, pushes included; null for a connection built without metrics.</summary>
    public GatewayMetrics? Metrics { get; init; }

    /// <summary>How long a push waits for a lower seq of its timeline that has not come yet (<see cref="PushOrder"/>).</summary>
    public TimeSpan PushOrderWindow { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Read for every received frame, so without the lock (the flag is only ever set, under it).</summary>
    public bool IsClosing => Volatile.Read(ref closing);

    /// <summary>Queues one frame; never waits. False when the connection is closing or ended, or its queue is full (it then closes with 1008).</summary>
    public bool TryEnqueue(byte[] frame)
    {
        lock (outbound)
        {
            if (closing || ended || done)
            {
                return false; // the frame is dropped: the client is going away
            }

            if (EnqueueLocked(frame))
            {
                return true;
            }
        }

        CloseSlowConsumer();
        return false;
    }

    /// <summary>
    /// Queues the <c>msg</c> frame of a pushed message, in <c>seq</c> order with the other pushes of its timeline: it may
    /// wait for a lower seq, or be dropped when a higher one went out (<see cref="PushOrder"/>). Never waits.
    /// </summary>
    /// <returns>False when the connection is closing or ended, or its queue is full (it then closes with 1008).</returns>
    public bool TryPush(ChatMessage message, byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (outbound)
        {
            if (!StartOrderLocked(create: true))
            {
                return false;
            }

            order!.Push(message.Timeline, message.Seq, frame, Environment.TickCount64, released!);
            if (EnqueueReleasedLocked())
            {
                return true;
            }
        }

        CloseSlowConsumer();
        return false;
    }

    /// <summary>
    /// Pushes of <paramref name="timeline"/> to this connection start above <paramref name="seq"/> (its user grain said so
    /// when the connection joined): the first of them need not wait for lower ones, which will not come.
    /// </summary>
    public void PushesStartAfter(string timeline, long seq) =>
        StepOrder(create: true, timeline, seq, static (order, timeline, seq, now, ready) => order.StartAfter(timeline, seq, now, ready));

    /// <summary>
    /// This connection is being acked <paramref name="seq"/> of <paramref name="timeline"/>: it gets no push of that
    /// message, so pushes of the timeline waiting behind it may go.
    /// </summary>
    public void Acked(string timeline, long seq) =>
        StepOrder(create: false, timeline, seq, static (order, timeline, seq, now, ready) => order.Acked(timeline, seq, now, ready));

    /// <summary>Starts closing: queued frames are dropped, the close frame is sent next, and the socket is aborted after a grace period.</summary>
    public void Close(WebSocketCloseStatus status, string description)
    {
        lock (outbound)
        {
            if (closing || done)
            {
                return;
            }

            Volatile.Write(ref closing, true);
            closeStatus = status;
            closeDescription = description;
            outbound.Clear();
            StartDrainLocked();
        }

        _ = AbortAfterGraceAsync();
    }

    /// <summary>
    /// After the receive loop ended: sends what is still queued, then completes the close handshake (the client's close,
    /// or this side's). Completes when nothing more will be sent.
    /// </summary>
    public Task CompleteAsync()
    {
        Task? running;
        lock (outbound)
        {
            ended = true;
            if (done)
            {
                return Task.CompletedTask;
            }

            if (draining)
            {
                lastDrain ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                running = lastDrain.Task;
            }
            else
            {
                draining = true;
                running = null;
            }
        }

        // Also when a drain is running: it may be stuck on a client that stopped reading.
        _ = AbortAfterGraceAsync();
        return running ?? DrainAsync();
    }

    void IThreadPoolWorkItem.Execute() => _ = DrainAsync(); // it handles its own errors

    /// <summary>
    /// Aborts the socket if it has not closed within <see cref="CloseGrace"/>: a client that reads nothing would hold a
    /// send, and with it the close, forever. The abort ends whatever send or receive is pending. Started only when
    /// closing, so an open connection holds no timer and no cancellation source for it.
    /// </summary>
    private async Task AbortAfterGraceAsync()
    {
        await Task.Delay(CloseGrace).ConfigureAwait(false);
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    /// <summary>
    /// Takes one step of the push order that carries no frame of its own (<paramref name="step"/>, a static lambda: nothing
    /// allocated per ack), and queues what it released.
    /// </summary>
    private void StepOrder(bool create, string timeline, long seq, Action<PushOrder, string, long, long, List<byte[]>> step)
    {
        lock (outbound)
        {
            if (!StartOrderLocked(create))
            {
                return;
            }

            step(order!, timeline, seq, Environment.TickCount64, released!);
            if (EnqueueReleasedLocked())
            {
                return;
            }
        }

        CloseSlowConsumer();
    }

    /// <summary>
    /// Readies a step of the push order: false when the connection is going away, or (without <paramref name="create"/>)
    /// has had no push yet, so there is nothing to order.
    /// </summary>
    private bool StartOrderLocked(bool create)
    {
        if (closing || ended || done || (order is null && !create))
        {
            return false;
        }

        order ??= new PushOrder(PushOrderWindow);
        (released ??= []).Clear();
        return true;
    }

    private bool EnqueueLocked(byte[] frame)
    {
        if (outbound.Count >= queueLength)
        {
            return false;
        }

        outbound.Enqueue(frame);
        StartDrainLocked();
        return true;
    }

    /// <summary>Queues what the push order let out; schedules a check while it holds pushes back. False if the queue is full.</summary>
    private bool EnqueueReleasedLocked()
    {
        if (Metrics is not null && order!.HasNewCounts)
        {
            var (held, dropped, givenUp) = order.TakeNewCounts();
            Metrics.PushOrder(held, dropped, givenUp);
        }

        foreach (var frame in released!)
        {
            if (!EnqueueLocked(frame))
            {
                return false;
            }
        }

        released.Clear();
        if (order!.IsHolding && !expiryScheduled)
        {
            expiryScheduled = true;
            _ = ReleaseHeldLaterAsync();
        }

        return true;
    }

    /// <summary>After the push order's window: gives up the seqs still missing and sends what waited behind them.</summary>
    private async Task ReleaseHeldLaterAsync()
    {
        await Task.Delay(PushOrderWindow).ConfigureAwait(false);
        lock (outbound)
        {
            expiryScheduled = false;
            if (closing || ended || done)
            {
                return;
            }

            released!.Clear();
            order!.Expire(Environment.TickCount64, released);
            if (EnqueueReleasedLocked())
            {
                return;
            }
        }

        CloseSlowConsumer();
    }

    private void CloseSlowConsumer() => Close(WebSocketCloseStatus.PolicyViolation, "slow consumer: outbound queue full");

    private void StartDrainLocked()
    {
        if (!draining)
        {
            draining = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Sends queued frames in order until the queue is empty; on closing or ending, then the close frame. One runs at a time.</summary>
    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                byte[]? frame;
                lock (outbound)
                {
                    if (closing || !outbound.TryDequeue(out frame))
                    {
                        if (!closing && !ended)
                        {
                            draining = false; // idle: the next frame queued starts another drain
                            return;
                        }

                        break;
                    }
                }

                // Mostly completes at once: the frame goes into the connection's output pipe, not to the network.
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                Metrics?.FrameOut(frame);
            }

            await SendCloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The socket is gone or was aborted; the receive loop ends too.
        }
        catch (Exception)
        {
            // Nothing else is expected; whatever it was, this connection can send no more, so it must not linger.
            socket.Abort();
        }

        TaskCompletionSource? waiting;
        lock (outbound)
        {
            done = true;
            draining = false;
            outbound.Clear();
            waiting = lastDrain;
        }

        waiting?.TrySetResult();
    }

    private async Task SendCloseAsync()
    {
        bool closeAsked;
        lock (outbound)
        {
            closeAsked = closing;
        }

        if (closeAsked && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(closeStatus, closeDescription, CancellationToken.None).ConfigureAwait(false);
        }
        else if (socket.State == WebSocketState.CloseReceived)
        {
            // The client closed: complete the handshake.
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).ConfigureAwait(false);
        }
    }
}
