using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Limits;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Endpoints;

/// <summary>
/// <c>GET /ws</c>: authenticates before the upgrade (401, no socket), then reads one frame at a
/// time, answers it through the connection's queue, and tells the user's grain when the device
/// comes and goes.
/// </summary>
public sealed partial class WebSocketEndpoint(
    TokenService tokens,
    ConnectionRegistry registry,
    FrameDispatcher dispatcher,
    IGrainFactory grains,
    GatewayOptions options,
    SendRateLimiter sendLimiter,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<WebSocketEndpoint> logger)
{
    private readonly ProtocolLimits limits = new() { MaxFrameBytes = options.MaxFrameBytes, MaxBodyBytes = options.MaxBodyBytes };
    private readonly FrameReader reader = new(options.MaxFrameBytes);

    // Made once. The socket sends a PING every KeepAliveInterval and aborts the connection when no PONG
    // comes back within KeepAliveTimeout: every RFC 6455 client answers pings by itself, so only a peer
    // that is gone is dropped, and without a close frame (it could not read one). An idle but live
    // client is never closed: PROTOCOL.md has no close code for idleness.
    private readonly WebSocketAcceptContext acceptContext = new()
    {
        KeepAliveInterval = options.KeepAliveInterval,
        KeepAliveTimeout = PongTimeout(options),
    };

    // The same, for sockets made from a stream.
    private readonly WebSocketCreationOptions creationOptions = new()
    {
        IsServer = true,
        KeepAliveInterval = options.KeepAliveInterval,
        KeepAliveTimeout = PongTimeout(options),
    };

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = "a WebSocket upgrade request is required" }).ConfigureAwait(false);
            return;
        }

        var userId = await tokens.ValidateAsync(BearerToken.From(context.Request)).ConfigureAwait(false);
        if (userId is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(acceptContext).ConfigureAwait(false);
        metrics.UpgradeAccepted(onConnection: false);
        await ServeAsync(userId, socket).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves a WebSocket of <paramref name="userId"/> whose upgrade <see cref="Upgrades.ConnectionUpgradeMiddleware"/>
    /// accepted on the connection itself: <paramref name="upgraded"/> carries its frames. Same settings and the same
    /// handling as an upgrade through <see cref="HandleAsync"/>.
    /// </summary>
    public Task ServeAsync(string userId, Stream upgraded)
    {
        var socket = WebSocket.CreateFromStream(upgraded, creationOptions);
        metrics.UpgradeAccepted(onConnection: true);
        return ServeAsync(userId, socket);
    }

    /// <summary>
    /// Serves an open WebSocket until it ends, and disposes it: registers it, tells the user's grain, reads its frames,
    /// and unregisters it.
    /// </summary>
    private async Task ServeAsync(string userId, WebSocket socket)
    {
        using var owned = socket;
        var connection = registry.Open(userId, socket);
        var user = grains.GetGrainByKey<IUserGrain>(userId);
        var connected = false;
        try
        {
            var pushedAfter = await user.Connect(connection.Session).ConfigureAwait(false);
            connection.PushesStartAfter(Timeline.ForUser(userId).ToString(), pushedAfter);
            connected = true;
            // No cancellation token: a client that goes away fails the receive, and a connection that must stop is
            // aborted (GatewayConnection), which ends it too. A token source would cost memory per connection.
            await ReceiveLoopAsync(socket, connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client went away or the connection was aborted.
        }
        catch (Exception ex) when (!connected)
        {
            LogConnectFailed(logger, ex, userId);
            connection.Close(WebSocketCloseStatus.InternalServerError, "the cluster is unavailable; reconnect later");
        }
        finally
        {
            registry.Remove(connection);
            await connection.CompleteAsync().ConfigureAwait(false);
            if (connected)
            {
                await DisconnectAsync(user, connection).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Reads frames and handles up to <see cref="GatewayOptions.MaxFramesInFlight"/> of them at once: replies go out as
    /// they complete, matched by their <c>id</c>, so one slow request does not hold up the next. At the limit the
    /// connection is read no further until one completes (backpressure through TCP).
    /// </summary>
    private async Task ReceiveLoopAsync(WebSocket socket, GatewayConnection connection)
    {
        var abuse = new AbuseMeter(options.AbuseThreshold, options.AbuseWindow, time);
        SemaphoreSlim? inFlight = null; // made at the first frame that does not complete at once
        while (true)
        {
            // Waited for here rather than in the reader, so an idle connection holds one pending wait, not two.
            var start = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
            if (await reader.ReadAsync(socket, start).ConfigureAwait(false) is not { } frame)
            {
                return; // the client's close frame
            }

            Task<byte[]> reply;
            using (frame)
            {
                if (connection.IsClosing)
                {
                    continue; // closing: read on only to see the client's close frame
                }

                if (frame.TooLarge)
                {
                    connection.Close(WebSocketCloseStatus.MessageTooBig, $"a frame may be at most {limits.MaxFrameBytes} bytes");
                    continue;
                }

                // The frame is parsed (and copied) before this returns, so its buffer goes back to the pool now.
                reply = frame.Type == WebSocketMessageType.Binary
                    ? Task.FromResult(ServerFrameWriter.Error(null, ErrorCodes.BadFrame, "frames are JSON in text messages, not binary"))
                    : HandleFrameAsync(connection, abuse, frame.Bytes);
            }

            if (reply.IsCompletedSuccessfully)
            {
                connection.TryEnqueue(reply.Result);
                continue;
            }

            // Started before the wait (the semaphore has no maximum, so a release before the wait is fine), so that the
            // reply is not kept across the await: an idle connection would hold its last reply.
            inFlight ??= new SemaphoreSlim(options.MaxFramesInFlight);
            _ = ReplyWhenDoneAsync(connection, reply, inFlight);
            await inFlight.WaitAsync().ConfigureAwait(false);
        }
    }

    private static async Task ReplyWhenDoneAsync(GatewayConnection connection, Task<byte[]> reply, SemaphoreSlim inFlight)
    {
        try
        {
            connection.TryEnqueue(await reply.ConfigureAwait(false)); // the dispatcher never throws
        }
        finally
        {
            inFlight.Release();
        }
    }

    private Task<byte[]> HandleFrameAsync(GatewayConnection connection, AbuseMeter abuse, ReadOnlySpan<byte> message)
    {
        var parsed = ClientFrameParser.Parse(message, limits);
        if (!parsed.IsFrame)
        {
            return Task.FromResult(ServerFrameWriter.Error(parsed.Error));
        }

        // Checked here, before the dispatcher, so a refused send never reaches the grains.
        if (parsed.Frame is SendFrame send && !sendLimiter.TryAcquire(connection.UserId))
        {
            if (abuse.Record())
            {
                connection.Close(WebSocketCloseStatus.PolicyViolation, "too many rate-limited frames");
            }

            return Task.FromResult(ServerFrameWriter.Error(send.Id, ErrorCodes.RateLimited, "too many sends; slow down and retry"));
        }

        return dispatcher.HandleAsync(connection, parsed.Frame);
    }

    private static TimeSpan PongTimeout(GatewayOptions options) =>
        options.KeepAliveInterval > TimeSpan.Zero ? options.IdleTimeout : Timeout.InfiniteTimeSpan;

    private async Task DisconnectAsync(IUserGrain user, GatewayConnection connection)
    {
        try
        {
            await user.Disconnect(connection.Session).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The session stays listed until the grain forgets it; pushes to it find no connection and are skipped.
            LogDisconnectFailed(logger, ex, connection.UserId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register a connection of user {User}")]
    private static partial void LogConnectFailed(ILogger logger, Exception exception, string user);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not unregister a connection of user {User}")]
    private static partial void LogDisconnectFailed(ILogger logger, Exception exception, string user);
}
