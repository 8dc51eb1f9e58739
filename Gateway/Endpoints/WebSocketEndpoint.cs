using System.Buffers;
using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Limits;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;
using ChatCluster.Runtime;
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
    TimeProvider time,
    ILogger<WebSocketEndpoint> logger)
{
    private readonly ProtocolLimits limits = new() { MaxFrameBytes = options.MaxFrameBytes, MaxBodyBytes = options.MaxBodyBytes };

    // Made once: the server's keep-alive keeps proxies and NATs from dropping a quiet but live socket.
    private readonly WebSocketAcceptContext acceptContext = new() { KeepAliveInterval = options.KeepAliveInterval };

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

        using var socket = await context.WebSockets.AcceptWebSocketAsync(acceptContext).ConfigureAwait(false);
        using var connection = registry.Open(userId, socket);
        var user = grains.GetGrain<IUserGrain>(userId);
        var connected = false;
        var writer = connection.RunWriterAsync();
        try
        {
            await user.Connect(connection.Session).ConfigureAwait(false);
            connected = true;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Aborted);
            using var idle = new IdleWatch(connection, options.IdleTimeout, time);
            await ReceiveLoopAsync(socket, connection, idle, stop.Token).ConfigureAwait(false);
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
            connection.Complete();
            await writer.ConfigureAwait(false);
            if (connected)
            {
                await DisconnectAsync(user, connection).ConfigureAwait(false);
            }
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, GatewayConnection connection, IdleWatch idle, CancellationToken cancellationToken)
    {
        var abuse = new AbuseMeter(options.AbuseThreshold, options.AbuseWindow, time);
        // One byte more than allowed, so a message of exactly MaxFrameBytes fits and a larger one shows.
        var buffer = ArrayPool<byte>.Shared.Rent(limits.MaxFrameBytes + 1);
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(count, limits.MaxFrameBytes + 1 - count), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    count += result.Count;
                }
                while (!result.EndOfMessage && count <= limits.MaxFrameBytes);

                idle.FrameReceived();

                if (connection.IsClosing)
                {
                    continue; // closing: read on only to see the client's close frame
                }

                if (count > limits.MaxFrameBytes)
                {
                    connection.Close(WebSocketCloseStatus.MessageTooBig, $"a frame may be at most {limits.MaxFrameBytes} bytes");
                    continue;
                }

                var reply = result.MessageType == WebSocketMessageType.Binary
                    ? ServerFrameWriter.Error(null, ErrorCodes.BadFrame, "frames are JSON in text messages, not binary")
                    : await HandleFrameAsync(connection, abuse, buffer.AsSpan(0, count)).ConfigureAwait(false);
                connection.TryEnqueue(reply);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
