using System.ComponentModel;
using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime;

/// <summary>
/// One call to a grain method: its arguments, and the promise its caller awaits.
/// Generated proxies derive one sealed class from it per interface method; not for hand-written code.
/// Being the <see cref="TaskCompletionSource{TResult}"/> itself saves an allocation per call.
/// </summary>
/// <typeparam name="TResult">The method's result type (<see cref="object"/> for methods returning <see cref="Task"/>).</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GrainCall<TResult> : TaskCompletionSource<TResult>, ITurn
{
    // Callers' continuations run inline on completion; the activation clears its synchronization
    // context around Finish so that they never inherit it.
    protected GrainCall() { }

    /// <summary>The grain interface's name, for errors and logs.</summary>
    public abstract string InterfaceName { get; }

    /// <summary>The method's name, for errors and logs.</summary>
    public abstract string MethodName { get; }

    /// <summary>True for methods marked <see cref="AlwaysInterleaveAttribute"/>.</summary>
    public virtual bool AlwaysInterleave => false;

    internal long Deadline;

    bool ITurn.Interleaves => AlwaysInterleave;

    long ITurn.Deadline => Deadline;

    bool ITurn.IsAbandoned => Task.IsCompleted;

    /// <summary>Invokes the method on the grain and returns its task.</summary>
    protected abstract Task Invoke(object grain);

    Task ITurn.Start(Activation activation)
    {
        try
        {
            return Invoke(activation.Grain!);
        }
        catch (Exception ex)
        {
            // A method that throws before its first await still reports through its task.
            return System.Threading.Tasks.Task.FromException(ex);
        }
    }

    void ITurn.Finish(Activation activation, Task completed)
    {
        if (completed.IsCompletedSuccessfully)
        {
            TrySetResult(completed is Task<TResult> typed ? typed.Result : default!);
        }
        else if (completed.IsCanceled)
        {
            TrySetCanceled();
        }
        else
        {
            TrySetException(completed.Exception!.InnerExceptions);
        }
    }

    void ITurn.Abandon(Exception reason) => TrySetException(reason);

    /// <inheritdoc />
    public override string ToString() => $"{InterfaceName}.{MethodName}";
}
