using System.Collections.Concurrent;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>A gateway's push observer that records every (connection, message) pushed to it and holds every connection.</summary>
internal sealed class RecordingGateway : IGatewayObserver, IDisposable
{
    private readonly ConcurrentQueue<(string ConnectionId, ChatMessage Message)> delivered = new();
    private readonly IGrainFactory grains;
    private readonly IGatewayObserver reference;
    private bool disposed;

    public RecordingGateway(IGrainFactory grains)
    {
        this.grains = grains;
        reference = grains.CreateObjectReference<IGatewayObserver>(this);
        Id = reference.GetGrainId().ToString();
    }

    /// <summary>The gateway id sessions of this gateway carry.</summary>
    public string Id { get; }

    public Session Session(string connectionId) => new(Id, connectionId);

    public IReadOnlyList<ChatMessage> To(Session session) =>
        session.GatewayId == Id ? delivered.Where(d => d.ConnectionId == session.ConnectionId).Select(d => d.Message).ToList() : [];

    public Task<IReadOnlyList<string>> Deliver(IReadOnlyList<PushedMessage> pushes)
    {
        foreach (var push in pushes)
        {
            foreach (var connection in push.ConnectionIds)
            {
                delivered.Enqueue((connection, push.Message));
            }
        }

        return Task.FromResult<IReadOnlyList<string>>([]);
    }

    /// <summary>Waits (at most 30 s) until <paramref name="session"/> got a message matching <paramref name="match"/>.</summary>
    public async Task<ChatMessage> WaitForAsync(Session session, Func<ChatMessage, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (To(session).FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"{session} got no matching message within 30 s; it got {To(session).Count}.");
    }

    /// <summary>Unregisters the observer: the gateway is gone from then on.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            grains.DeleteObjectReference<IGatewayObserver>(reference);
        }
    }
}
