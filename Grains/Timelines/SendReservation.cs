namespace ChatCluster.Grains.Timelines;

/// <summary>A send in progress, by (sender, client message id): what a resend of it waits for.</summary>
internal sealed class SendReservation((string From, string ClientMsgId) key)
{
    public (string From, string ClientMsgId) Key { get; } = key;

    public TaskCompletionSource<SendAck> Pending { get; } = new();
}
