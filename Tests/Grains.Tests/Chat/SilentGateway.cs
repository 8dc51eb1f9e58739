namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// A gateway's push observer that does not answer pushes until <see cref="Answer"/> (as a gateway process that hangs,
/// or was killed and is not yet dropped by its silo), and records the messages it was given. Orleans hands a client's
/// observer one call at a time, so calls made meanwhile wait in its queue.
/// </summary>
internal sealed class SilentGateway : IGatewayObserver, IDisposable
{
    private readonly IGrainFactory grains;
    private readonly IGatewayObserver reference;
    private readonly TaskCompletionSource<IReadOnlyList<string>> answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> received = new(StringComparer.Ordinal);

    public SilentGateway(IGrainFactory grains)
    {
        this.grains = grains;
        reference = grains.CreateObjectReference<IGatewayObserver>(this);
        Id = reference.GetGrainId().ToString();
    }

    public string Id { get; }

    /// <summary>Whether a message with this id was pushed to it.</summary>
    public bool Received(string msgId) => received.ContainsKey(msgId);

    public Session Session(string connectionId) => new(Id, connectionId);

    public Task<IReadOnlyList<string>> Deliver(IReadOnlyList<PushedMessage> pushes)
    {
        foreach (var push in pushes)
        {
            received[push.Message.MsgId] = true;
        }

        return answer.Task;
    }

    /// <summary>Answers every push from now on (and those waiting).</summary>
    public void Answer() => answer.TrySetResult([]);

    public void Dispose()
    {
        grains.DeleteObjectReference<IGatewayObserver>(reference);
        answer.TrySetCanceled();
    }
}
