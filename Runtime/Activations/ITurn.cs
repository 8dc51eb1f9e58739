namespace ChatCluster.Runtime.Activations;

/// <summary>
/// A unit of work that runs on an activation: a grain call, a timer tick, activation or deactivation.
/// The activation starts it when its turn comes and hands back the finished task.
/// </summary>
internal interface ITurn
{
    /// <summary>True if this turn may run while another turn of the activation awaits.</summary>
    bool Interleaves { get; }

    /// <summary>Environment.TickCount64 after which the turn is abandoned; long.MaxValue for never.</summary>
    long Deadline { get; }

    /// <summary>True when nobody waits for the turn any more (its caller timed out): skip it.</summary>
    bool IsAbandoned { get; }

    /// <summary>Begins the turn on the activation's context and returns the task that ends it.</summary>
    Task Start(Activation activation);

    /// <summary>Reports the outcome of the turn's task to whoever waits for it.</summary>
    void Finish(Activation activation, Task completed);

    /// <summary>Gives up on the turn: its deadline passed, or it can no longer run here.</summary>
    void Abandon(Exception reason);
}
