using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ChatCluster.Runtime.Activations;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// One persistent TCP connection to a peer, multiplexed by call id and used both ways: it sends
/// requests and completes them from responses, and runs the requests that arrive on the local
/// runtime. One writer loop drains the queue of frames and flushes once per batch; one reader loop
/// parses frames. At most MaxPendingCalls calls await responses; further callers wait for a slot.
/// Any error closes the connection and fails its pending calls with <see cref="SiloUnavailableException"/>.
/// A silo that stops drains it first (<see cref="GoAway"/>): the peer stops sending requests on it and
/// every request either side sent is answered before it closes.
/// </summary>
internal sealed partial class TransportConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly PipeReader input;
    private readonly PipeWriter output;
    private readonly FrameQueue outgoing = new();

    // Guarded by themselves; also by 'pending' for 'closed', so no call is added after the failing sweep.
    private readonly Dictionary<long, (IRemotableCall Call, GrainId Target)> pending = [];
    // Pings and release requests sent, by call id, awaiting their answer.
    private readonly Dictionary<long, TaskCompletionSource<bool>> pings = [];
    private readonly SemaphoreSlim slots;
    private readonly CancellationTokenSource closing = new();
    private readonly TaskCompletionSource closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly GrainRuntime? runtime;
    private readonly TransportOptions options;
    private readonly long callTimeoutMilliseconds;
    private readonly ILogger logger;
    private Task reading = Task.CompletedTask;
    private Task writing = Task.CompletedTask;
    private Task sweeping = Task.CompletedTask;
    private long nextCallId;
    private bool closed;

    // Requests (and release requests) that arrived here and are not answered yet.
    private int unanswered;

    // Guarded by 'pending': the peer said it goes away, so no request may be queued on this connection any more.
    private volatile bool peerGoingAway;
    private volatile bool peerStoppedSending;
    private volatile bool goingAway;
    private long goAwaySentAt;

    // A peer that has not acknowledged a go-away by then is taken for gone (a live one answers within milliseconds).
    private const long GoAwayAckTimeoutMilliseconds = 2_000;

    public TransportConnection(Socket socket, string remote, GrainRuntime? runtime, TransportOptions options, long callTimeoutMilliseconds, ILogger logger)
    {
        this.socket = socket;
        Remote = remote;
        this.runtime = runtime;
        this.options = options;
        this.callTimeoutMilliseconds = callTimeoutMilliseconds;
        this.logger = logger;
        slots = new SemaphoreSlim(options.MaxPendingCalls, options.MaxPendingCalls);
        var stream = new NetworkStream(socket, ownsSocket: false);
        input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024));
    }

    /// <summary>The peer, for errors and logs.</summary>
    public string Remote { get; }

    public bool IsOpen => !Volatile.Read(ref closed);

    /// <summary>Open, and the peer has not said it is going away: new calls may be sent on it.</summary>
    public bool AcceptsCalls => !Volatile.Read(ref closed) && !peerGoingAway;

    /// <summary>
    /// After <see cref="GoAway"/>: true once the peer has acknowledged it (so no request of its follows; a peer
    /// that does not within two seconds is taken for gone) and every request either side sent on this connection
    /// has been answered; also true once the connection closed.
    /// </summary>
    public bool IsDrained
    {
        get
        {
            var stoppedSending = peerStoppedSending
                || (goingAway && Environment.TickCount64 - Volatile.Read(ref goAwaySentAt) > GoAwayAckTimeoutMilliseconds);
            lock (pending)
            {
                return closed || (stoppedSending && pending.Count == 0 && pings.Count == 0 && Volatile.Read(ref unanswered) == 0);
            }
        }
    }

    /// <summary>Completes when the connection has closed, for whatever reason.</summary>
    public Task Closed => closedSignal.Task;

    /// <summary>Number of calls awaiting responses.</summary>
    public int PendingCount
    {
        get
        {
            lock (pending)
            {
                return pending.Count;
            }
        }
    }

    public void Start()
    {
        reading = ReadLoopAsync();
        writing = WriteLoopAsync();
        sweeping = SweepLoopAsync();
    }

    /// <summary>Sends a call to <paramref name="target"/> on the peer; the call's task completes from the response.</summary>
    public void Send(GrainId target, IRemotableCall call)
    {
        if (slots.Wait(0))
        {
            Enqueue(target, call);
        }
        else
        {
            _ = SendWhenSlotFreeAsync(target, call);
        }
    }

    /// <summary>Sends a ping; true if the pong comes back within <paramref name="timeout"/>.</summary>
    public Task<bool> PingAsync(TimeSpan timeout) => AskAsync(FrameKind.Ping, default, timeout);

    /// <summary>
    /// Asks the peer to let go of <paramref name="grain"/> (see <see cref="FrameKind.Release"/>); true if it answered
    /// within <paramref name="timeout"/>. False too when the connection closed or the peer is going away.
    /// </summary>
    public Task<bool> ReleaseAsync(GrainId grain, TimeSpan timeout) => AskAsync(FrameKind.Release, grain, timeout);

    /// <summary>Tells the peer that this side is stopping: it sends no more requests here, and acknowledges that.</summary>
    public void GoAway()
    {
        if (!goingAway)
        {
            Volatile.Write(ref goAwaySentAt, Environment.TickCount64);
            goingAway = true;
            outgoing.TryWrite(new OutgoingFrame(FrameKind.GoAway, 0, null, default, null));
        }
    }

    // A ping or release request; true once its answer (pong or released) arrives within the timeout.
    private async Task<bool> AskAsync(FrameKind kind, GrainId target, TimeSpan timeout)
    {
        var id = Interlocked.Increment(ref nextCallId);
        var pong = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pending)
        {
            if (closed || (kind == FrameKind.Release && peerGoingAway))
            {
                return false;
            }

            pings.Add(id, pong);
        }

        try
        {
            return outgoing.TryWrite(new OutgoingFrame(kind, id, null, target, null))
                && await pong.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (pending)
            {
                pings.Remove(id);
            }
        }
    }

    /// <summary>Queues the response to a call that arrived on this connection and completed.</summary>
    public void Respond(RemoteTurn turn)
    {
        // False only once the connection closed: the caller has its SiloUnavailableException already.
        outgoing.TryWrite(new OutgoingFrame(FrameKind.Response, turn.CallId, turn.Call, default, null));
        Interlocked.Decrement(ref unanswered);
    }

    /// <summary>Closes the connection (if open) and fails its pending calls with <see cref="SiloUnavailableException"/>.</summary>
    public void Close(Exception reason)
    {
        List<(IRemotableCall Call, GrainId Target)> failed;
        List<TaskCompletionSource<bool>> unanswered;
        lock (pending)
        {
            if (closed)
            {
                return;
            }

            Volatile.Write(ref closed, true);
            failed = [.. pending.Values];
            unanswered = [.. pings.Values];
            pending.Clear();
            pings.Clear();
        }

        if (reason is TransportProtocolException)
        {
            LogProtocolError(logger, Remote, reason.Message, failed.Count);
        }
        else
        {
            LogClosed(logger, Remote, reason.Message, failed.Count);
        }

        closing.Cancel();
        outgoing.Complete();
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
        foreach (var (call, target) in failed)
        {
            call.TryFail(new SiloUnavailableException(
                $"The connection to silo {Remote} was lost ({reason.Message}) while the call {call} to grain {target} awaited its response; "
                + "it may or may not have run. Retry it if that is safe.", reason));
        }

        foreach (var pong in unanswered)
        {
            pong.TrySetResult(false);
        }

        closedSignal.TrySetResult();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Close(new SiloUnavailableException("the connection was closed locally"));
        await Task.WhenAll(reading, writing, sweeping).ConfigureAwait(false);
        closing.Dispose();
        slots.Dispose();
    }

    private async Task SendWhenSlotFreeAsync(GrainId target, IRemotableCall call)
    {
        var remaining = Math.Max(0, call.Deadline - Environment.TickCount64);
        bool acquired;
        try
        {
            acquired = await slots.WaitAsync(TimeSpan.FromMilliseconds(remaining), closing.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            GrainRuntime.RetryUndelivered(runtime, target, call, new SiloUnavailableException($"The connection to silo {Remote} closed before the call {call} to grain {target} was sent. Retry it."));
            return;
        }

        if (!acquired)
        {
            call.TryFail(new GrainCallTimeoutException(
                $"The call {call} to grain {target} did not complete within the call timeout: it waited for one of the "
                + $"{options.MaxPendingCalls} pending-call slots of the connection to silo {Remote} all along."));
            return;
        }

        Enqueue(target, call);
    }

    private void Enqueue(GrainId target, IRemotableCall call)
    {
        var id = Interlocked.Increment(ref nextCallId);
        bool queued;
        lock (pending)
        {
            // Queued under the lock, so that no request follows the acknowledgement of a go-away (see Handle).
            queued = !closed && !peerGoingAway && outgoing.TryWrite(new OutgoingFrame(FrameKind.Request, id, call, target, null));
            if (queued)
            {
                pending.Add(id, (call, target));
            }
            else
            {
                slots.Release();
            }
        }

        if (!queued)
        {
            // Never sent, so it cannot have run: route it again.
            GrainRuntime.RetryUndelivered(runtime, target, call, new SiloUnavailableException($"The connection to silo {Remote} is closed or draining; the call {call} to grain {target} was not sent. Retry it."));
        }
    }

    // Removes a pending call and frees its slot; null if it is gone (answered, timed out, or failed by Close).
    private (IRemotableCall Call, GrainId Target)? Take(long id)
    {
        lock (pending)
        {
            if (!pending.Remove(id, out var entry))
            {
                return null;
            }

            slots.Release();
            return entry;
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        Exception reason = new SiloUnavailableException("the peer closed the connection");
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (FrameCodec.TryRead(ref buffer, options.MaxFrameBytes, out var header, out var payload))
                    {
                        Handle(header, payload);
                    }

                    if (result.IsCompleted || result.IsCanceled)
                    {
                        if (!buffer.IsEmpty)
                        {
                            throw new TransportProtocolException($"The peer closed the connection in the middle of a frame ({buffer.Length} bytes of it had arrived).");
                        }

                        break;
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reason = ex is IOException { InnerException: SocketException socketError } ? socketError : ex;
        }
        finally
        {
            Close(reason);
            await CompleteQuietlyAsync(input.CompleteAsync()).ConfigureAwait(false);
        }
    }

    private void Handle(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        switch (header.Kind)
        {
            case FrameKind.Request:
            case FrameKind.OneWay:
                HandleRequest(header, payload);
                break;
            case FrameKind.Response:
                if (Take(header.CallId) is { } answered)
                {
                    Complete(answered.Call, header, payload);
                }

                break;
            case FrameKind.Ping:
                outgoing.TryWrite(new OutgoingFrame(FrameKind.Pong, header.CallId, null, default, null));
                break;
            case FrameKind.Release:
                Interlocked.Increment(ref unanswered);
                _ = AnswerReleaseAsync(header.CallId, new GrainId(header.GrainType, header.Key), header.ViewVersion);
                break;
            case FrameKind.GoAway:
                lock (pending)
                {
                    // Every request queued before this point is ahead of the acknowledgement; none is queued after it.
                    peerGoingAway = true;
                    outgoing.TryWrite(new OutgoingFrame(FrameKind.GoAwayAck, header.CallId, null, default, null));
                }

                break;
            case FrameKind.GoAwayAck:
                peerStoppedSending = true;
                break;
            case FrameKind.Pong:
            case FrameKind.Released:
                TaskCompletionSource<bool>? pong;
                lock (pending)
                {
                    pings.Remove(header.CallId, out pong);
                }

                pong?.TrySetResult(true);
                break;
        }
    }

    private static void Complete(IRemotableCall call, in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if ((header.Flags & FrameFlags.Error) != 0)
        {
            call.TryFail(RemoteExceptions.Read(payload));
            return;
        }

        try
        {
            // The caller's continuation runs inline here, as it does for local calls.
            call.Complete(payload);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A result that cannot be read fails that call only, not the connection.
            call.TryFail(new RemoteGrainException(ex.GetType().FullName!, $"The result of {call} could not be read: {ex.Message}", ex));
        }
    }

    private void HandleRequest(in FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        var respond = header.Kind == FrameKind.Request;
        if (runtime is null)
        {
            RespondError(respond, header.CallId, new InvalidOperationException("This endpoint hosts no grains."));
            return;
        }

        if (header.Key.Length is 0 or > GrainId.MaxKeyLength)
        {
            RespondError(respond, header.CallId, new ArgumentException($"A grain key must be 1 to {GrainId.MaxKeyLength} characters long; got {header.Key.Length}."));
            return;
        }

        if (runtime.CreateCall(header.GrainType, header.MethodId) is not { } call)
        {
            RespondError(respond, header.CallId, new InvalidOperationException(
                $"Silo has no method {header.MethodId} of grain type '{header.GrainType}': the grain class is not hosted here, or the silos run different builds."));
            return;
        }

        try
        {
            call.ReadArguments(payload);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RespondError(respond, header.CallId, new ArgumentException($"The arguments of {call} could not be read: {ex.Message}", ex));
            return;
        }

        var deadline = header.TimeoutMilliseconds > 0 ? Environment.TickCount64 + header.TimeoutMilliseconds : long.MaxValue;
        // The call keeps the caller's deadline if it is forwarded to another silo.
        call.SetDeadline(deadline);
        ITurn turn;
        if (respond)
        {
            Interlocked.Increment(ref unanswered);
            turn = new RemoteTurn(call, header.CallId, deadline, this);
        }
        else
        {
            turn = new OneWayTurn(call, deadline);
        }

        runtime.DeliverIncoming(new GrainId(header.GrainType, header.Key), turn, header.ViewVersion);
    }

    // Lets go of the grain here (see GrainRuntime.ReleaseAsync), then answers, in any case within the call timeout.
    private async Task AnswerReleaseAsync(long callId, GrainId grain, long viewVersion)
    {
        try
        {
            if (runtime is not null)
            {
                await runtime.ReleaseAsync(grain, viewVersion).WaitAsync(TimeSpan.FromMilliseconds(callTimeoutMilliseconds)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Answered anyway: the asker activates the grain, and the etag check on state writes still keeps the two apart.
            LogReleaseFailed(logger, grain, Remote, ex.Message);
        }

        outgoing.TryWrite(new OutgoingFrame(FrameKind.Released, callId, null, default, null));
        Interlocked.Decrement(ref unanswered);
    }

    private void RespondError(bool respond, long callId, Exception error)
    {
        if (respond)
        {
            outgoing.TryWrite(new OutgoingFrame(FrameKind.Response, callId, null, default, error));
        }
    }

    private async Task WriteLoopAsync()
    {
        await Task.Yield();
        var payload = new ArrayBufferWriter<byte>(1024);
        using var json = new Utf8JsonWriter(payload);
        Exception? reason = null;
        try
        {
            while (true)
            {
                if (outgoing.TryTakeAll(out var wait) is not { } batch)
                {
                    if (wait is null)
                    {
                        break;
                    }

                    await wait.ConfigureAwait(false);
                    continue;
                }

                // Batching: write every frame queued, including those queued meanwhile, then one flush (one send) for all.
                do
                {
                    foreach (var frame in batch)
                    {
                        payload.ResetWrittenCount();
                        json.Reset();
                        Write(frame, payload, json);
                    }

                    batch = outgoing.TryTakeAll();
                }
                while (batch is not null);

                var flushed = await output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            reason = ex is IOException { InnerException: SocketException socketError } ? socketError : ex;
        }
        finally
        {
            Close(reason ?? new SiloUnavailableException("the connection was closed"));
            await CompleteQuietlyAsync(output.CompleteAsync()).ConfigureAwait(false);
        }
    }

    // Completing a pipe flushes what is left to the socket, which Close has disposed by now: that may throw, and
    // must not fault the loop's task (DisposeAsync awaits it, so a stopping silo would fail for nothing).
    private static async Task CompleteQuietlyAsync(ValueTask completing)
    {
        try
        {
            await completing.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private void Write(in OutgoingFrame frame, ArrayBufferWriter<byte> payload, Utf8JsonWriter json)
    {
        switch (frame.Kind)
        {
            case FrameKind.Request:
                var call = frame.Call!;
                try
                {
                    call.WriteArguments(json);
                    json.Flush();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Take(frame.CallId)?.Call.TryFail(new ArgumentException($"The arguments of {call} could not be serialized: {ex.Message}", ex));
                    return;
                }

                if (TooBig(payload))
                {
                    // The peer would close the connection on it, failing every other call too.
                    Take(frame.CallId)?.Call.TryFail(new ArgumentException(
                        $"The arguments of {call} take {payload.WrittenCount} bytes; a frame may have at most {options.MaxFrameBytes} ({TransportOptions.Section}:{nameof(TransportOptions.MaxFrameBytes)})."));
                    return;
                }

                var timeout = call.Deadline == long.MaxValue ? 0 : (int)Math.Clamp(call.Deadline - Environment.TickCount64, 1, int.MaxValue);
                FrameCodec.Write(output, new FrameHeader(FrameKind.Request, FrameFlags.None, frame.CallId, timeout, call.MethodId, frame.Target.Type, frame.Target.Key, ViewVersion), payload.WrittenSpan);
                break;
            case FrameKind.Release:
                FrameCodec.Write(output, new FrameHeader(FrameKind.Release, FrameFlags.None, frame.CallId, 0, 0, frame.Target.Type, frame.Target.Key, ViewVersion), default);
                break;
            case FrameKind.Response:
                var flags = FrameFlags.None;
                var error = frame.Error ?? ErrorOf(frame.Call!);
                if (error is null)
                {
                    try
                    {
                        frame.Call!.WriteResult(json);
                        json.Flush();
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        error = new InvalidOperationException($"The result of {frame.Call} could not be serialized: {ex.Message}", ex);
                        payload.ResetWrittenCount();
                        json.Reset();
                    }
                }

                if (error is null && TooBig(payload))
                {
                    error = new InvalidOperationException(
                        $"The result of {frame.Call} takes {payload.WrittenCount} bytes; a frame may have at most {options.MaxFrameBytes} ({TransportOptions.Section}:{nameof(TransportOptions.MaxFrameBytes)}).");
                    payload.ResetWrittenCount();
                }

                if (error is not null)
                {
                    flags = FrameFlags.Error;
                    RemoteExceptions.Write(payload, error);
                }

                FrameCodec.Write(output, new FrameHeader(FrameKind.Response, flags, frame.CallId, 0, 0, "", ""), payload.WrittenSpan);
                break;
            default:
                FrameCodec.Write(output, new FrameHeader(frame.Kind, FrameFlags.None, frame.CallId, 0, 0, "", ""), default);
                break;
        }
    }

    private long ViewVersion => runtime?.ViewVersion ?? 0;

    // Room for the header with a grain type and key of the longest allowed lengths.
    private bool TooBig(ArrayBufferWriter<byte> payload) => payload.WrittenCount > options.MaxFrameBytes - FrameCodec.FixedHeaderBytes - 2048;

    private static Exception? ErrorOf(IRemotableCall call) => call.Completion switch
    {
        { IsCompletedSuccessfully: true } => null,
        { IsCanceled: true } => new TaskCanceledException($"The call {call} was canceled."),
        var faulted => faulted.Exception!.InnerException ?? faulted.Exception,
    };

    private async Task SweepLoopAsync()
    {
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(callTimeoutMilliseconds / 4, 10, 1000));
        using var timer = new PeriodicTimer(tick);
        var expired = new List<(IRemotableCall Call, GrainId Target)>();
        try
        {
            while (await timer.WaitForNextTickAsync(closing.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                lock (pending)
                {
                    foreach (var (id, entry) in pending)
                    {
                        if (entry.Call.Deadline <= now)
                        {
                            expired.Add(entry);
                            pending.Remove(id);
                            slots.Release();
                        }
                    }
                }

                // Only the late call fails; the connection and the other calls carry on.
                foreach (var (call, target) in expired)
                {
                    call.TryFail(new GrainCallTimeoutException(
                        $"The call {call} to grain {target} on silo {Remote} did not complete within the call timeout of {callTimeoutMilliseconds / 1000.0:0.###} s."));
                }

                expired.Clear();
            }
        }
        catch (OperationCanceledException)
        {
            // Closed.
        }
    }

    /// <summary>Connects to a peer within <see cref="TransportOptions.ConnectTimeout"/> and starts the connection.</summary>
    public static async Task<TransportConnection> ConnectAsync(IPEndPoint endpoint, GrainRuntime? runtime, TransportOptions options,
        long callTimeoutMilliseconds, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new TransportConnection(socket, endpoint.ToString(), runtime, options, callTimeoutMilliseconds, logger);
        connection.Start();
        return connection;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Closing the connection to {Remote} after a protocol error: {Reason}; {PendingCalls} pending calls failed")]
    private static partial void LogProtocolError(ILogger logger, string remote, string reason, int pendingCalls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing grain {GrainId} for silo {Remote} failed or took too long: {Reason}")]
    private static partial void LogReleaseFailed(ILogger logger, GrainId grainId, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to {Remote} closed: {Reason}; {PendingCalls} pending calls failed")]
    private static partial void LogClosed(ILogger logger, string remote, string reason, int pendingCalls);
}
