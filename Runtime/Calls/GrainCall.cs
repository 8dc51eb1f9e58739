using System.Buffers;
using System.ComponentModel;
using System.Text.Json;
using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime;

/// <summary>
/// One call to a grain method: its arguments, and the promise its caller awaits.
/// Generated proxies derive one sealed class from it per interface method; not for hand-written code.
/// Being the <see cref="TaskCompletionSource{TResult}"/> itself saves an allocation per call.
/// </summary>
/// <typeparam name="TResult">The method's result type (<see cref="object"/> for methods returning <see cref="Task"/>).</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GrainCall<TResult> : TaskCompletionSource<TResult>, IRemotableCall
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

    /// <summary>The method's id on the wire: its index in the grain interface; -1 when no codec was generated.</summary>
    protected virtual int MethodId => -1;

    /// <summary>Invokes the method on the grain and returns its task.</summary>
    protected abstract Task Invoke(object grain);

    /// <summary>Writes the arguments (generated; nothing for a method without parameters).</summary>
    protected virtual void WriteArguments(Utf8JsonWriter writer) { }

    /// <summary>Reads the arguments that <see cref="WriteArguments"/> wrote (generated).</summary>
    protected virtual void ReadArguments(ref Utf8JsonReader reader) { }

    /// <summary>Writes the result (generated for Task&lt;T&gt; methods; nothing for Task).</summary>
    protected virtual void WriteResult(Utf8JsonWriter writer, TResult result) { }

    /// <summary>Reads the result that <see cref="WriteResult"/> wrote (generated for Task&lt;T&gt; methods).</summary>
    protected virtual TResult ReadResult(ref Utf8JsonReader reader) => default!;

    int IRemotableCall.MethodId => MethodId;

    Task IRemotableCall.Completion => Task;

    void IRemotableCall.SetDeadline(long deadline) => Deadline = deadline;

    void IRemotableCall.WriteArguments(Utf8JsonWriter writer) => WriteArguments(writer);

    void IRemotableCall.ReadArguments(in ReadOnlySequence<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        ReadArguments(ref reader);
    }

    void IRemotableCall.WriteResult(Utf8JsonWriter writer) => WriteResult(writer, Task.Result);

    void IRemotableCall.Complete(in ReadOnlySequence<byte> payload)
    {
        TResult result;
        if (payload.IsEmpty)
        {
            result = default!;
        }
        else
        {
            var reader = new Utf8JsonReader(payload);
            result = ReadResult(ref reader);
        }

        TrySetResult(result);
    }

    bool IRemotableCall.TryFail(Exception exception) => TrySetException(exception);

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
