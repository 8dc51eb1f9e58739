using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;
using ChatCluster.Grains.Push;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// This gateway's open connections, by connection id, and the push seam: the push handler hands it
/// messages, and it queues a <c>msg</c> frame on each of its own sessions' connections.
/// </summary>
public sealed class ConnectionRegistry(GatewayOptions options, GatewayMetrics metrics) : IMessageDelivery
{
    private readonly ConcurrentDictionary<string, GatewayConnection> connections = new(StringComparer.Ordinal);
    private long nextConnectionId;

    /// <summary>This process's gateway id: sessions carry it so pushes find their way back here.</summary>
    public string GatewayId { get; } = Guid.NewGuid().ToString("N");

    public int Count => connections.Count;

    /// <summary>Registers a new connection of <paramref name="userId"/>, before it is announced to the user's grain, so no push is missed.</summary>
    public GatewayConnection Open(string userId, WebSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var id = Interlocked.Increment(ref nextConnectionId).ToString(CultureInfo.InvariantCulture);
        var connection = new GatewayConnection(userId, new Session(GatewayId, id), socket, options.OutboundQueue) { Metrics = metrics };
        connections[id] = connection;
        metrics.ConnectionOpened();
        return connection;
    }

    public void Remove(GatewayConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connections.TryRemove(new KeyValuePair<string, GatewayConnection>(connection.Session.ConnectionId, connection)))
        {
            metrics.ConnectionClosed();
        }
    }

    /// <summary>Closes every connection, e.g. with 1012 when the gateway drains.</summary>
    public void CloseAll(WebSocketCloseStatus status, string description)
    {
        foreach (var connection in connections.Values)
        {
            connection.Close(status, description);
        }
    }

    /// <summary>Queues the message on each local session's connection; never waits (a full queue closes that connection).</summary>
    public ValueTask DeliverAsync(IReadOnlyList<Session> sessions, ChatMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        byte[]? frame = null;
        foreach (var session in sessions)
        {
            if (session.GatewayId == GatewayId && connections.TryGetValue(session.ConnectionId, out var connection))
            {
                // Written once and shared: the writer only reads it.
                frame ??= ServerFrameWriter.Msg(message);
                connection.TryEnqueue(frame);
            }
        }

        return ValueTask.CompletedTask;
    }
}
