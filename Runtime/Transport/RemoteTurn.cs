using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// A call that arrived from another silo, as the activation runs it: the generated call plus the
/// caller's call id, deadline and connection. When the call completes (or is abandoned) it queues
/// the response once. Wrapping keeps these fields off every local call.
/// </summary>
internal sealed class RemoteTurn(IRemotableCall call, long callId, long deadline, TransportConnection connection) : ITurn
{
    private int answered;

    public IRemotableCall Call { get; } = call;

    public long CallId { get; } = callId;

    public bool Interleaves => Call.Interleaves;

    public long Deadline { get; } = deadline;

    public bool IsAbandoned => Call.IsAbandoned;

    public Task Start(Activation activation) => Call.Start(activation);

    public void Finish(Activation activation, Task completed)
    {
        Call.Finish(activation, completed);
        Answer();
    }

    public void Abandon(Exception reason)
    {
        Call.Abandon(reason);
        Answer();
    }

    /// <summary>For a call forwarded to another silo: answers the caller once that silo has completed the call.</summary>
    public void AnswerWhenCompleted() =>
        Call.Completion.ContinueWith(static (_, state) => ((RemoteTurn)state!).Answer(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public override string ToString() => Call.ToString()!;

    private void Answer()
    {
        if (Interlocked.Exchange(ref answered, 1) == 0)
        {
            connection.Respond(this);
        }
    }
}
