namespace ChatCluster.Grains.Timelines;

/// <summary>
/// A send in progress, by (sender, client message id): what a resend of it waits for. The ack's task is made only when
/// a resend asks for it, as almost no send is resent while it is still in flight. Used inside one grain: single-threaded.
/// </summary>
internal sealed class SendReservation((string From, string ClientMsgId) key)
{
    private TaskCompletionSource<SendAck>? resends;

    public (string From, string ClientMsgId) Key { get; } = key;

    /// <summary>The ack of this send, for a resend that arrived while it is in flight.</summary>
    public Task<SendAck> Ack => (resends ??= new TaskCompletionSource<SendAck>()).Task;

    /// <summary>Gives the waiting resends, if any, the ack of <paramref name="message"/>.</summary>
    public void Complete(ChatMessage message) => resends?.TrySetResult(message.ToAck());

    /// <summary>Fails the waiting resends, if any: the send did not go through, and a resend will try again.</summary>
    public void Fail(Exception reason) => resends?.TrySetException(reason);
}
