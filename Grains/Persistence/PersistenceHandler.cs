using ChatCluster.Grains.Timelines;
using ChatCluster.Runtime;

namespace ChatCluster.Grains.Persistence;

/// <summary>
/// Handler group <see cref="Group"/> of the timeline stream: writes each batch of messages to the
/// store in one round trip. Idempotent (the store skips (timeline, seq) it has), so redelivery is safe.
/// </summary>
public sealed class PersistenceHandler(IMessageStore store) : IStreamHandler<TimelineEvent>
{
    public const string Group = "persist";

    public Task HandleAsync(IReadOnlyList<StreamEvent<TimelineEvent>> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var messages = new ChatMessage[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            messages[i] = batch[i].Event.Message;
        }

        return store.InsertAsync(messages, cancellationToken);
    }
}
