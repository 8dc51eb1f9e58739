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
        foreach (var item in batch)
        {
            var (message, origin) = item.Event;
            if (!Timeline.TryParse(message.Timeline, out var timeline))
            {
                continue; // not a timeline this handler knows; nothing to push
            }

            var sessions = timeline.Kind == TimelineKind.User
                ? await grains.GetGrain<IUserGrain>(timeline.Id).Sessions()
                : await grains.GetGrain<IGroupGrain>(timeline.Id).OnlineSessions();
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
