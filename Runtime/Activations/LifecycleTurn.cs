namespace ChatCluster.Runtime.Activations;

/// <summary>Activation or deactivation of a grain: a turn that runs alone and never times out.</summary>
internal sealed class LifecycleTurn(LifecycleTurn.Kind kind, DeactivationReason reason) : ITurn
{
    public enum Kind
    {
        Activate,
        Deactivate,
    }

    public bool Interleaves => false;

    public long Deadline => long.MaxValue;

    public bool IsAbandoned => false;

    public Task Start(Activation activation) =>
        kind == Kind.Activate ? activation.ActivateAsync() : activation.DeactivateAsync(reason);

    public void Finish(Activation activation, Task completed)
    {
        if (kind == Kind.Activate)
        {
            activation.OnActivated(completed);
        }
        else
        {
            activation.OnDeactivated(completed);
        }
    }

    public void Abandon(Exception reason)
    {
        // Lifecycle turns are never abandoned: they have no deadline and nobody awaits them.
    }
}
