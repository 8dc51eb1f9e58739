namespace ChatCluster.Grains.Push;

/// <summary>
/// Hands a message to connected devices: the seam between the push handler and the gateways that
/// hold the connections (the WebSocket gateway implements it). Must not block on a slow device:
/// a gateway queues per connection and drops a connection whose queue is full.
/// </summary>
public interface IMessageDelivery
{
    /// <summary>Delivers <paramref name="message"/> to each of <paramref name="sessions"/>.</summary>
    ValueTask DeliverAsync(IReadOnlyList<Session> sessions, ChatMessage message, CancellationToken cancellationToken);
}
