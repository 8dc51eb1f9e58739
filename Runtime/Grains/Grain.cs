using ChatCluster.Runtime.Activations;
using ChatCluster.Runtime.Timers;

namespace ChatCluster.Runtime;

/// <summary>
/// Base class of every grain. Derive from it and implement one grain interface:
/// <code>
/// public sealed class CounterGrain([PersistentState("counter")] IPersistentState&lt;CounterState&gt; state)
///     : Grain, ICounterGrain { … }
/// </code>
/// The runtime creates the grain on its first call (after reading its persistent state and calling
/// <see cref="OnActivateAsync"/>), runs one call at a time (see <see cref="ReentrantAttribute"/>), and
/// collects it when idle (after <see cref="OnDeactivateAsync"/>).
/// Members of this class are usable from <see cref="OnActivateAsync"/> on, not in the constructor.
/// </summary>
public abstract class Grain
{
    private Activation? activation;

    internal Activation Activation
    {
        get => activation ?? throw new InvalidOperationException(
            "The grain is not activated yet: use grain members from OnActivateAsync on, not in the constructor.");
        set => activation = value;
    }

    /// <summary>This grain's identity.</summary>
    public GrainId GrainId => Activation.Id;

    /// <summary>This grain's key, e.g. the user id of a user grain.</summary>
    public string GetPrimaryKeyString() => Activation.Id.Key;

    /// <summary>Gets references to other grains (or to this one).</summary>
    protected IGrainFactory GrainFactory => Activation.Runtime;

    /// <summary>Called once before the first call is delivered, after persistent state was read.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called once before the activation is dropped: write any state you keep only in memory here.
    /// No call runs at the same time; calls that arrive meanwhile go to the next activation.
    /// </summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// While true, idle collection passes this activation by: for grains that hold what cannot be
    /// rebuilt from storage, such as the sessions of a connected user. Deactivation for other
    /// reasons (shutdown, <see cref="DeactivateOnIdle"/>) still happens.
    /// </summary>
    protected internal bool KeepAlive { get; set; }

    /// <summary>Deactivates this grain once the current call and the calls already queued are done.</summary>
    protected void DeactivateOnIdle() => Activation.RequestDeactivation(DeactivationReason.Requested);

    /// <summary>
    /// Calls <paramref name="callback"/> as a turn of this grain (never at the same time as a call)
    /// after <paramref name="dueTime"/>, then every <paramref name="period"/> counted from the end of
    /// the previous tick, until the returned handle is disposed or the grain deactivates.
    /// Ticks do not keep the grain from being collected when idle. Use
    /// <see cref="Timeout.InfiniteTimeSpan"/> as the period for a single tick.
    /// </summary>
    protected IDisposable RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainTimer.Start(Activation, callback, dueTime, period);
    }
}
