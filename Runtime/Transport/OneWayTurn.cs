using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime.Transport;

/// <summary>A call that arrived from another silo in a one-way frame: it runs with the sender's deadline and answers nobody.</summary>
internal sealed class OneWayTurn(IRemotableCall call, long deadline) : ITurn
{
    public bool Interleaves => call.Interleaves;

    public long Deadline { get; } = deadline;

    public bool IsAbandoned => call.IsAbandoned;

    public Task Start(Activation activation) => call.Start(activation);

    public void Finish(Activation activation, Task completed) => call.Finish(activation, completed);

    public void Abandon(Exception reason) => call.Abandon(reason);

    public override string ToString() => call.ToString()!;
}
