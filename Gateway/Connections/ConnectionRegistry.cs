using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// This gateway's open connections, by connection id. Pushes for them come in through <see cref="Deliver"/>,
/// called by this gateway's <see cref="Push.GatewayObserver"/>.
/// </summary>
/// <param name="options">The gateway's settings (queue length per connection).</param>
/// <param name="metrics">Connection counts.</param>
public sealed class ConnectionRegistry(GatewayOptions options, GatewayMetrics metrics)
{
    private readonly ConcurrentDictionary<string, GatewayConnection> connections = new(StringComparer.Ordinal);
    private long nextConnectionId;

    /// <summary>
    /// This gateway's id: the grain id of its <see cref="Grains.IGatewayObserver"/>, set once when the host starts
    /// (<see cref="Push.GatewayObserverRegistration"/>). Sessions carry it so pushes find their way back here.
    /// </summary>
    public string GatewayId { get; set; } = "";

    public int Count => connections.Count;

    /// <summary>Registers a new connection of <paramref name="userId"/>, before it is announced to the user's grain, so no push is missed.</summary>
    public GatewayConnection Open(string userId, WebSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var id = Interlocked.Increment(ref nextConnectionId).ToString(CultureInfo.InvariantCulture);
        var connection = new GatewayConnection(userId, new Session(GatewayId, id), socket, options.OutboundQueue)
        {
            Metrics = metrics,
            PushOrderWindow = options.PushOrderWindow,
        };
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

    /// <summary>
    /// Queues the message on each of <paramref name="connectionIds"/>, in seq order with its timeline's other pushes
    /// (<see cref="GatewayConnection.TryPush"/>; never waits: a full queue closes that connection), and returns the ids
    /// this gateway does not hold.
    /// </summary>
    public IReadOnlyList<string> Deliver(IEnumerable<string> connectionIds, ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        byte[]? frame = null;
        List<string>? gone = null;
        foreach (var id in connectionIds)
        {
            if (connections.TryGetValue(id, out var connection))
            {
                // Written once and shared: the connections only read it.
                frame ??= ServerFrameWriter.Msg(message);
                connection.TryPush(message, frame);
            }
            else
            {
                (gone ??= []).Add(id);
            }
        }

        return gone ?? (IReadOnlyList<string>)[];
    }
}
