namespace ChatCluster.Client;

/// <summary>Where a <see cref="ChatClient"/> is in its life.</summary>
public enum ChatClientState
{
    /// <summary>Not connected yet: <see cref="ChatClient.ConnectAsync"/> has not succeeded.</summary>
    Disconnected,

    /// <summary>A connection is open; requests go out at once.</summary>
    Connected,

    /// <summary>The connection dropped; the client is opening a new one. Requests wait and go out after it.</summary>
    Reconnecting,

    /// <summary>Disposed; every request fails.</summary>
    Closed,
}
