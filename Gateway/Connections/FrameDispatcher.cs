using System.Diagnostics;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// Carries one parsed client frame to the grains and returns the reply frame. The sender is always
/// the connection's authenticated user, never a field of the frame. Never throws: a failed grain
/// call becomes <c>unavailable</c>, anything unexpected <c>internal</c>.
/// </summary>
public sealed partial class FrameDispatcher(IGrainFactory grains, GatewayMetrics metrics, ILogger<FrameDispatcher> logger)
{
    public Task<byte[]> HandleAsync(GatewayConnection connection, ClientFrame frame)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(frame);
        metrics.FrameIn(frame);
        // A send, the frame that comes most, catches its own failures: one state machine less per message.
        return frame is SendFrame send ? SendAsync(connection, send) : HandleOtherAsync(connection, frame);
    }

    private async Task<byte[]> HandleOtherAsync(GatewayConnection connection, ClientFrame frame)
    {
        try
        {
            return await DispatchAsync(connection, frame).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Failed(connection, frame, ex);
        }
    }

    private byte[] Failed(GatewayConnection connection, ClientFrame frame, Exception ex)
    {
        if (IsTransient(ex))
        {
            // The cluster cannot take it now; the client may retry (a send with the same clientMsgId).
            LogUnavailable(logger, frame.GetType().Name, connection.UserId, ex.Message);
            return ServerFrameWriter.Error(frame.Id, ErrorCodes.Unavailable, "the cluster cannot take this now; retry");
        }

        LogInternal(logger, ex, frame.GetType().Name, connection.UserId);
        return ServerFrameWriter.Error(frame.Id, ErrorCodes.Internal, "internal error");
    }

    private Task<byte[]> DispatchAsync(GatewayConnection connection, ClientFrame frame) => frame switch
    {
        SyncFrame sync => SyncAsync(connection.UserId, sync),
        TimelinesFrame timelines => TimelinesAsync(connection.UserId, timelines),
        ReadFrame read => ReadAsync(connection.UserId, read),
        GroupCreateFrame create => OkOrError(create.Id, Group(create.Group).Create(connection.UserId, create.Members)),
        GroupJoinFrame join => OkOrError(join.Id, Group(join.Group).Join(connection.UserId)),
        GroupLeaveFrame leave => OkOrError(leave.Id, Group(leave.Group).Leave(connection.UserId)),
        GroupMembersFrame members => MembersAsync(connection.UserId, members),
        PingFrame ping => Task.FromResult(ServerFrameWriter.Pong(ping.Id)),
        _ => Task.FromResult(ServerFrameWriter.Error(frame.Id, ErrorCodes.BadFrame, "'type' is not a known frame type")),
    };

    private async Task<byte[]> SendAsync(GatewayConnection connection, SendFrame send)
    {
        try
        {
            // A timestamp, not a Stopwatch object: nothing allocated per send.
            var started = Stopwatch.GetTimestamp();
            var result = send.To.Kind == TimelineKind.User
                ? await User(connection.UserId).SendDirect(send.To.Id, send.ClientMsgId, send.Body, connection.Session).ConfigureAwait(false)
                : await Group(send.To.Id).Send(connection.UserId, send.ClientMsgId, send.Body, connection.Session).ConfigureAwait(false);
            if (result.Ack is not { } ack)
            {
                return ErrorFrame(send.Id, result.Error);
            }

            metrics.AckLatency(Stopwatch.GetElapsedTime(started));
            // The sending connection gets no push of its own message: pushes of the timeline behind it need not wait for one.
            connection.Acked(ack.Timeline, ack.Seq);
            return ServerFrameWriter.Ack(send.Id, ack);
        }
        catch (Exception ex)
        {
            return Failed(connection, send, ex);
        }
    }

    private async Task<byte[]> SyncAsync(string userId, SyncFrame sync)
    {
        SyncResult result;
        if (sync.Timeline.Kind == TimelineKind.User)
        {
            if (sync.Timeline.Id != userId)
            {
                return ServerFrameWriter.Error(sync.Id, ErrorCodes.Forbidden, "only the user may sync their own user timeline");
            }

            result = await User(userId).Sync(sync.AfterSeq, sync.Limit).ConfigureAwait(false);
        }
        else
        {
            result = await Group(sync.Timeline.Id).Sync(userId, sync.AfterSeq, sync.Limit).ConfigureAwait(false);
        }

        return result.Error is { } error
            ? ServerFrameWriter.Error(sync.Id, error)
            : ServerFrameWriter.Messages(sync.Id, sync.Timeline.ToString(), result.Messages, result.LastSeq, result.HasMore);
    }

    private async Task<byte[]> TimelinesAsync(string userId, TimelinesFrame frame)
    {
        var items = await User(userId).Timelines().ConfigureAwait(false);
        return ServerFrameWriter.Timelines(frame.Id, items);
    }

    private Task<byte[]> ReadAsync(string userId, ReadFrame read) =>
        OkOrError(read.Id, User(userId).MarkRead(read.Timeline.ToString(), read.Seq));

    private async Task<byte[]> MembersAsync(string userId, GroupMembersFrame frame)
    {
        var result = await Group(frame.Group).Members(userId).ConfigureAwait(false);
        return result.Error is { } error
            ? ServerFrameWriter.Error(frame.Id, error)
            : ServerFrameWriter.Members(frame.Id, frame.Group, result.Members, result.Owner);
    }

    private static async Task<byte[]> OkOrError(string? id, Task<OperationResult> operation)
    {
        var result = await operation.ConfigureAwait(false);
        return result.Error is { } error ? ServerFrameWriter.Error(id, error) : ServerFrameWriter.Ok(id);
    }

    private static byte[] ErrorFrame(string? id, ChatError? error) =>
        error is null ? ServerFrameWriter.Error(id, ErrorCodes.Internal, "no result") : ServerFrameWriter.Error(id, error);

    /// <summary>
    /// Failures the same request may not meet again: a call that timed out or found its silo gone, a store or log
    /// that cannot be reached (directly or inside an activation that failed for it), a write that lost an etag race.
    /// A driver's own exception never gets here: Orleans cannot carry it across a grain call, so the stores wrap it.
    /// </summary>
    private static bool IsTransient(Exception ex) => ex switch
    {
        TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or StorageUnavailableException
            or Orleans.Storage.InconsistentStateException => true,
        OrleansException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };

    private IUserGrain User(string id) => grains.GetGrainByKey<IUserGrain>(id);

    private IGroupGrain Group(string id) => grains.GetGrainByKey<IGroupGrain>(id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Frame} of user {User} found the cluster unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string frame, string user, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Frame} of user {User} failed unexpectedly")]
    private static partial void LogInternal(ILogger logger, Exception exception, string frame, string user);
}
