using System.Collections.Concurrent;
using ChatCluster.Gateway.Connections;
using ChatCluster.Grains;
using ChatCluster.Grains.Push;
using ChatCluster.Grains.Timelines;
using ChatCluster.Runtime;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Push;

/// <summary>
/// The push seam of a process that hosts a gateway: a session of this gateway gets the message queued
/// here; a session of another gateway gets it through that gateway's <see cref="IGatewayGrain"/>, one
/// call per gateway, not awaited (a slow or dead gateway must not hold up the push handler). Sessions
/// found gone — closed, from an earlier run, or of a gateway that cannot be reached until the call's
/// deadline — are forgotten by the recipient's user grain when the message is on a <c>user:</c> timeline.
/// </summary>
public sealed partial class PushDelivery(ConnectionRegistry registry, IGrainFactory grains, bool clustered, ILogger<PushDelivery> logger) : IMessageDelivery
{
    // Gateways whose last push failed, and when: skipped for a while rather than failing one push after another.
    private readonly ConcurrentDictionary<string, long> unreachable = new(StringComparer.Ordinal);
    private static readonly long SkipUnreachableMilliseconds = 5_000;

    public ValueTask DeliverAsync(IReadOnlyList<Session> sessions, ChatMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(message);
        foreach (var (gatewayId, connectionIds) in ByGateway(sessions))
        {
            if (gatewayId == registry.GatewayId)
            {
                Forget(gatewayId, registry.Deliver(connectionIds, message), message);
            }
            else if (!clustered)
            {
                // One process: a session of another gateway id is from an earlier run of this one.
                Forget(gatewayId, connectionIds, message);
            }
            else if (!SkippedAsUnreachable(gatewayId))
            {
                _ = PushToOtherGatewayAsync(gatewayId, connectionIds, message);
            }
        }

        return ValueTask.CompletedTask;
    }

    private async Task PushToOtherGatewayAsync(string gatewayId, List<string> connectionIds, ChatMessage message)
    {
        try
        {
            var gone = await grains.GetGrain<IGatewayGrain>(gatewayId).Deliver(connectionIds, message).ConfigureAwait(false);
            unreachable.TryRemove(gatewayId, out _);
            Forget(gatewayId, gone, message);
        }
        catch (Exception ex) when (ex is SiloUnavailableException or GrainCallTimeoutException)
        {
            unreachable[gatewayId] = Environment.TickCount64;
            LogGatewayUnreachable(logger, gatewayId, ex.Message);
            Forget(gatewayId, connectionIds, message);
        }
        catch (Exception ex)
        {
            LogPushFailed(logger, ex, gatewayId);
        }
    }

    private bool SkippedAsUnreachable(string gatewayId) =>
        unreachable.TryGetValue(gatewayId, out var since) && Environment.TickCount64 - since < SkipUnreachableMilliseconds;

    /// <summary>Tells the recipient's grain to drop sessions that no gateway holds any more (only a <c>user:</c> timeline names one recipient).</summary>
    private void Forget(string gatewayId, IReadOnlyList<string> connectionIds, ChatMessage message)
    {
        if (connectionIds.Count == 0 || !Timeline.TryParse(message.Timeline, out var timeline) || timeline.Kind != TimelineKind.User)
        {
            return;
        }

        var user = grains.GetGrain<IUserGrain>(timeline.Id);
        foreach (var connectionId in connectionIds)
        {
            _ = ForgetAsync(user, new Session(gatewayId, connectionId));
        }
    }

    private async Task ForgetAsync(IUserGrain user, Session session)
    {
        try
        {
            await user.Disconnect(session).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogForgetFailed(logger, ex, session.GatewayId, session.ConnectionId);
        }
    }

    private static Dictionary<string, List<string>> ByGateway(IReadOnlyList<Session> sessions)
    {
        var byGateway = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            if (!byGateway.TryGetValue(session.GatewayId, out var ids))
            {
                byGateway[session.GatewayId] = ids = [];
            }

            ids.Add(session.ConnectionId);
        }

        return byGateway;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {Gateway} could not be reached for a push ({Reason}); its sessions on this timeline are forgotten and it is skipped for a few seconds")]
    private static partial void LogGatewayUnreachable(ILogger logger, string gateway, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A push to gateway {Gateway} failed")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string gateway);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgetting session {Gateway}/{Connection} failed")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, string gateway, string connection);
}
