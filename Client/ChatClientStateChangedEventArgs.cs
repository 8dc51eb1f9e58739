namespace ChatCluster.Client;

/// <summary>The client's state changed; <see cref="Reason"/> says why (e.g. the server's close code).</summary>
public sealed class ChatClientStateChangedEventArgs(ChatClientState state, string? reason) : EventArgs
{
    public ChatClientState State { get; } = state;

    public string? Reason { get; } = reason;
}
