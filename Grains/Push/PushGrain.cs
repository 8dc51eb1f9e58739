using System.Collections.Concurrent;
using ChatCluster.Grains.Timelines;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Streams;

namespace ChatCluster.Grains.Push;

/// <summary>
/// The push consumer of one log partition (<see cref="IPushGrain"/>). For each batch the <c>push</c> reader delivers, it
/// takes the recipients a <c>user:</c> timeline's event carries, and asks each <c>group:</c> timeline once who is online,
/// and sends each gateway one call with all of the batch's messages for its connections, in log order (so in seq order
/// per timeline), skipping the connection a message came from (it has the ack). Sessions a gateway no longer holds,
/// or of a gateway that cannot be reached, are forgotten by the user's grain. Push is best effort: a message that
/// cannot be pushed is still in the store, and clients catch up with <c>sync</c>.
/// </summary>
[ImplicitStreamSubscription(TimelineStreams.PushNamespace)]
[PreferLocalPlacement]
[GrainType("push")]
public sealed partial class PushGrain(ILogger<PushGrain> logger) : TimelinePartitionConsumer(logger), IPushGrain
{
    // Gateways whose last push failed, and when: skipped for a while rather than failing one batch after another.
    private static readonly ConcurrentDictionary<string, long> Unreachable = new(StringComparer.Ordinal);
    private const long SkipUnreachableMilliseconds = 5_000;

    public override async Task OnNextAsync(IList<SequentialItem<TimelineEvent>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var online = await WhoIsOnline(items);
        var byGateway = new Dictionary<string, List<PushedMessage>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var (message, origin, recipients) = item.Item;
            IReadOnlyList<Session>? sessions = recipients;
            if (sessions is null && !online.TryGetValue(message.Timeline, out sessions))
            {
                continue;
            }

            foreach (var (gatewayId, connectionIds) in ByGateway(sessions, origin))
            {
                if (!byGateway.TryGetValue(gatewayId, out var pushes))
                {
                    byGateway[gatewayId] = pushes = [];
                }

                pushes.Add(new PushedMessage(message, connectionIds));
            }
        }

        await Task.WhenAll(byGateway.Select(g => DeliverAsync(g.Key, g.Value)));
    }

    /// <summary>
    /// The online sessions of each timeline of the batch whose events carry no recipients (groups; user timelines of
    /// events written before recipients were carried), asked all at once; a timeline whose grain fails is left out.
    /// </summary>
    private async Task<Dictionary<string, IReadOnlyList<Session>>> WhoIsOnline(IList<SequentialItem<TimelineEvent>> items)
    {
        var lookups = new Dictionary<string, Task<IReadOnlyList<Session>>>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var name = item.Item.Message.Timeline;
            if (item.Item.Recipients is null && !lookups.ContainsKey(name) && Timeline.TryParse(name, out var timeline))
            {
                lookups[name] = timeline.Kind == TimelineKind.User
                    ? GrainFactory.GetGrain<IUserGrain>(timeline.Id).Sessions()
                    : GrainFactory.GetGrain<IGroupGrain>(timeline.Id).OnlineSessions();
            }
        }

        try
        {
            await Task.WhenAll(lookups.Values);
        }
        catch (Exception ex)
        {
            LogLookupFailed(logger, ex, this.GetPrimaryKeyString());
        }

        var online = new Dictionary<string, IReadOnlyList<Session>>(lookups.Count, StringComparer.Ordinal);
        foreach (var (name, lookup) in lookups)
        {
            if (lookup.IsCompletedSuccessfully && lookup.Result.Count > 0)
            {
                online[name] = lookup.Result;
            }
        }

        return online;
    }

    private async Task DeliverAsync(string gatewayId, List<PushedMessage> pushes)
    {
        if (Unreachable.TryGetValue(gatewayId, out var since) && Environment.TickCount64 - since < SkipUnreachableMilliseconds)
        {
            Forget(gatewayId, pushes.SelectMany(p => p.ConnectionIds.Select(c => (p.Message.Timeline, c))));
            return;
        }

        IReadOnlyList<string> gone;
        try
        {
            var gateway = GrainFactory.GetGrain<IGatewayObserver>(GrainId.Parse(gatewayId));
            gone = await gateway.Deliver(pushes);
            Unreachable.TryRemove(gatewayId, out _);
        }
        catch (Exception ex)
        {
            // A gateway that stopped, or a session id from an earlier run: its connections are gone.
            Unreachable[gatewayId] = Environment.TickCount64;
            LogGatewayUnreachable(logger, gatewayId, ex.Message);
            Forget(gatewayId, pushes.SelectMany(p => p.ConnectionIds.Select(c => (p.Message.Timeline, c))));
            return;
        }

        if (gone.Count > 0)
        {
            var goneIds = gone.ToHashSet(StringComparer.Ordinal);
            Forget(gatewayId, pushes.SelectMany(p => p.ConnectionIds.Where(goneIds.Contains).Select(c => (p.Message.Timeline, c))));
        }
    }

    /// <summary>Tells users' grains to drop sessions no gateway holds (only a <c>user:</c> timeline names its user).</summary>
    private void Forget(string gatewayId, IEnumerable<(string Timeline, string ConnectionId)> sessions)
    {
        foreach (var (name, connectionId) in sessions.Distinct())
        {
            if (Timeline.TryParse(name, out var timeline) && timeline.Kind == TimelineKind.User)
            {
                _ = ForgetAsync(GrainFactory.GetGrain<IUserGrain>(timeline.Id), new Session(gatewayId, connectionId));
            }
        }
    }

    private async Task ForgetAsync(IUserGrain user, Session session)
    {
        try
        {
            await user.Disconnect(session);
        }
        catch (Exception ex)
        {
            LogForgetFailed(logger, ex, session.GatewayId, session.ConnectionId);
        }
    }

    private static Dictionary<string, string[]> ByGateway(IReadOnlyList<Session> sessions, Session? origin)
    {
        var byGateway = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            if (session == origin)
            {
                continue;
            }

            if (!byGateway.TryGetValue(session.GatewayId, out var ids))
            {
                byGateway[session.GatewayId] = ids = [];
            }

            ids.Add(session.ConnectionId);
        }

        return byGateway.ToDictionary(g => g.Key, g => g.Value.ToArray(), StringComparer.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: asking who is online failed; those messages are not pushed")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception, string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {Gateway} could not be reached for a push ({Reason}); its sessions are forgotten and it is skipped for a few seconds")]
    private static partial void LogGatewayUnreachable(ILogger logger, string gateway, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgetting session {Gateway}/{Connection} failed")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, string gateway, string connection);
}
