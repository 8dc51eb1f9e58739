using ChatCluster.Grains.Timelines;
using ChatCluster.Runtime;

namespace ChatCluster.Grains.Push;

/// <summary>
/// Handler group <see cref="Group"/> of the timeline stream: resolves who is online for each
/// message — the user of a <c>user:</c> timeline, the members of a <c>group:</c> timeline — and
/// delivers to every such session except the one the message came from (it has the ack).
/// Events arrive in seq order per timeline, and are delivered in that order.
/// </summary>
public sealed class PushHandler(IGrainFactory grains, IMessageDelivery delivery) : IStreamHandler<TimelineEvent>
{
    public const string Group = "push";

    public async Task HandleAsync(IReadOnlyList<StreamEvent<TimelineEvent>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Who is online, asked once per timeline of the batch and all at once (the grains may live on other silos);
        // the deliveries then go out one by one in the batch's order, which keeps each timeline's seq order.
        var online = new Dictionary<string, Task<IReadOnlyList<Session>>>(StringComparer.Ordinal);
        foreach (var item in batch)
        {
            var name = item.Event.Message.Timeline;
            if (!online.ContainsKey(name) && Timeline.TryParse(name, out var timeline))
            {
                online[name] = timeline.Kind == TimelineKind.User
                    ? grains.GetGrain<IUserGrain>(timeline.Id).Sessions()
                    : grains.GetGrain<IGroupGrain>(timeline.Id).OnlineSessions();
            }
        }

        await Task.WhenAll(online.Values); // a failed lookup fails the batch (retried), with every lookup observed
        foreach (var item in batch)
        {
            var (message, origin) = item.Event;
            if (!online.TryGetValue(message.Timeline, out var lookup))
            {
                continue; // not a timeline this handler knows; nothing to push
            }

            var sessions = await lookup;
            var targets = origin is { } sender ? Without(sessions, sender) : sessions;
            if (targets.Count > 0)
            {
                await delivery.DeliverAsync(targets, message, cancellationToken);
            }
        }
    }

    private static IReadOnlyList<Session> Without(IReadOnlyList<Session> sessions, Session excluded)
    {
        var index = -1;
        for (var i = 0; i < sessions.Count; i++)
        {
            if (sessions[i] == excluded)
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            return sessions;
        }

        var rest = new List<Session>(sessions.Count - 1);
        for (var i = 0; i < sessions.Count; i++)
        {
            if (i != index)
            {
                rest.Add(sessions[i]);
            }
        }

        return rest;
    }
}
