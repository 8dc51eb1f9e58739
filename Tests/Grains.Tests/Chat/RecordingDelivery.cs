using System.Collections.Concurrent;
using ChatCluster.Grains.Push;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>The push seam's test double: records every (session, message) handed to it.</summary>
internal sealed class RecordingDelivery : IMessageDelivery
{
    private readonly ConcurrentQueue<(Session Session, ChatMessage Message)> delivered = new();

    public long Count => delivered.Count;

    public IReadOnlyList<ChatMessage> To(Session session) =>
        delivered.Where(d => d.Session == session).Select(d => d.Message).ToList();

    public ValueTask DeliverAsync(IReadOnlyList<Session> sessions, ChatMessage message, CancellationToken cancellationToken)
    {
        foreach (var session in sessions)
        {
            delivered.Enqueue((session, message));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Waits (at most 20 s) until <paramref name="session"/> got a message matching <paramref name="match"/>.</summary>
    public async Task<ChatMessage> WaitForAsync(Session session, Func<ChatMessage, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (To(session).FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"{session} got no matching message within 20 s; it got {To(session).Count}.");
    }
}
