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
/// or of a gateway known to be gone, are forgotten by the user's grain; a gateway that does not answer is skipped for a
/// few seconds. Push is best effort: a message that
/// cannot be pushed is still in the store, and clients catch up with <c>sync</c>.
/// </summary>
[ImplicitStreamSubscription(TimelineStreams.PushNamespace)]
[PreferLocalPlacement]
[GrainType("push")]
public sealed partial class PushGrain(ILogger<PushGrain> logger) : TimelinePartitionConsumer(logger), IPushGrain
{
    // Gateways whose last push got no answer, and when: skipped for a while rather than waited for batch after batch.
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

            if (sessions.Count == 1)
            {
                // Most timelines have one device online: no grouping needed.
                if (sessions[0] != origin)
                {
                    Add(byGateway, sessions[0].GatewayId, new PushedMessage(message, [sessions[0].ConnectionId]));
                }

                continue;
            }

            foreach (var (gatewayId, connectionIds) in ByGateway(sessions, origin))
            {
                Add(byGateway, gatewayId, new PushedMessage(message, [.. connectionIds]));
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
                    ? GrainFactory.GetGrainByKey<IUserGrain>(timeline.Id).Sessions()
                    : GrainFactory.GetGrainByKey<IGroupGrain>(timeline.Id).OnlineSessions();
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

    /// <summary>
    /// Delivers a batch's pushes to one gateway. One that did not answer lately is skipped for a few seconds (its sessions
    /// kept: it may be alive, slow or reconnecting to another silo; clients catch up with sync), then tried again without
    /// the batch waiting for it, so that a gateway that still does not answer holds back no push to the others.
    /// </summary>
    private Task DeliverAsync(string gatewayId, List<PushedMessage> pushes)
    {
        if (!Unreachable.TryGetValue(gatewayId, out var since))
        {
            return CallAsync(gatewayId, pushes);
        }

        var now = Environment.TickCount64;
        if (now - since >= SkipUnreachableMilliseconds)
        {
            // Skipped by the other batches while this try is out; it handles its own outcome.
            Unreachable[gatewayId] = now;
            _ = CallAsync(gatewayId, pushes);
        }

        return Task.CompletedTask;
    }

    private async Task CallAsync(string gatewayId, List<PushedMessage> pushes)
    {
        if (!GrainId.TryParse(gatewayId, out var observerId))
        {
            // A session no gateway can have made: it is forgotten, as it would otherwise be tried at every push.
            LogGatewayGone(logger, gatewayId, "not a gateway id");
            Forget(gatewayId, AllSessions(pushes));
            return;
        }

        IReadOnlyList<string> gone;
        try
        {
            gone = await GrainFactory.GetGrain<IGatewayObserver>(observerId).Deliver(pushes);
            Unreachable.TryRemove(gatewayId, out _);
        }
        catch (ClientNotAvailableException ex)
        {
            // Known gone: the gateway's client stopped, or was dropped by its silo after it died, or is from an earlier run.
            Unreachable.TryRemove(gatewayId, out _);
            LogGatewayGone(logger, gatewayId, ex.Message);
            Forget(gatewayId, AllSessions(pushes));
            return;
        }
        catch (Exception ex)
        {
            // Not known gone: no answer in time (a gateway killed and not yet dropped by its silo, which Orleans does after
            // ClientDropTimeout; one that is slow; one that deleted its observer while stopping), or the silo it was
            // connected through went away (its client reconnects to another). Its sessions stay; once its silo drops it,
            // a call fails with ClientNotAvailableException and they are forgotten. Skipped meanwhile (see DeliverAsync).
            Unreachable[gatewayId] = Environment.TickCount64;
            LogGatewayUnreachable(logger, gatewayId, ex.GetType().Name, ex.Message);
            return;
        }

        if (gone.Count > 0)
        {
            var goneIds = gone.ToHashSet(StringComparer.Ordinal);
            Forget(gatewayId, pushes.SelectMany(p => p.ConnectionIds.Where(goneIds.Contains).Select(c => (p.Message.Timeline, c))));
        }
    }

    private static IEnumerable<(string Timeline, string ConnectionId)> AllSessions(List<PushedMessage> pushes) =>
        pushes.SelectMany(p => p.ConnectionIds.Select(c => (p.Message.Timeline, c)));

    /// <summary>Tells users' grains to drop sessions no gateway holds (only a <c>user:</c> timeline names its user).</summary>
    private void Forget(string gatewayId, IEnumerable<(string Timeline, string ConnectionId)> sessions)
    {
        foreach (var (name, connectionId) in sessions.Distinct())
        {
            if (Timeline.TryParse(name, out var timeline) && timeline.Kind == TimelineKind.User)
            {
                _ = ForgetAsync(GrainFactory.GetGrainByKey<IUserGrain>(timeline.Id), new Session(gatewayId, connectionId));
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

    private static void Add(Dictionary<string, List<PushedMessage>> byGateway, string gatewayId, PushedMessage push)
    {
        if (!byGateway.TryGetValue(gatewayId, out var pushes))
        {
            byGateway[gatewayId] = pushes = [];
        }

        pushes.Add(push);
    }

    private static Dictionary<string, List<string>> ByGateway(IReadOnlyList<Session> sessions, Session? origin)
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

        return byGateway;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition}: asking who is online failed; those messages are not pushed")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception, string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway {Gateway} did not take a push ({Error}: {Reason}); it is skipped for a few seconds, its sessions kept")]
    private static partial void LogGatewayUnreachable(ILogger logger, string gateway, string error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {Gateway} is gone ({Reason}); its sessions are forgotten")]
    private static partial void LogGatewayGone(ILogger logger, string gateway, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgetting session {Gateway}/{Connection} failed")]
    private static partial void LogForgetFailed(ILogger logger, Exception exception, string gateway, string connection);
}
