using System.ComponentModel;
using System.Net;
using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime;

/// <summary>
/// Base class of generated grain proxies: a grain's id plus the way to reach it.
/// Get one from <see cref="IGrainFactory.GetGrain{TGrain}(string)"/>; do not derive from it by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GrainReference
{
    private readonly GrainRuntime runtime;

    // The activation that served the last call: the next call goes straight to it while it lives,
    // without a directory look-up.
    private Activation? lastActivation;

    protected GrainReference(GrainId id, GrainRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        GrainId = id;
        this.runtime = runtime;
    }

    /// <summary>The id of the grain this reference calls.</summary>
    public GrainId GrainId { get; }

    /// <summary>Sends <paramref name="call"/> to the grain and returns the task its result completes.</summary>
    protected Task<TResult> InvokeAsync<TResult>(GrainCall<TResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.Deadline = Environment.TickCount64 + runtime.CallTimeoutMilliseconds;
        if (runtime.RemoteRoute is { } route)
        {
            IPEndPoint? endpoint;
            try
            {
                endpoint = route(GrainId);
            }
            catch (SiloUnavailableException ex)
            {
                call.TrySetException(ex);
                return call.Task;
            }

            if (endpoint is not null)
            {
                runtime.SendRemote(endpoint, GrainId, call);
                return call.Task;
            }
        }

        var activation = lastActivation;
        if (activation is null || !activation.TryEnqueue(call))
        {
            try
            {
                lastActivation = runtime.Dispatch(GrainId, call);
            }
            catch (Exception ex)
            {
                // A grain call reports every failure through its task, never by throwing at the call site.
                call.TrySetException(ex);
            }
        }

        return call.Task;
    }

    /// <inheritdoc />
    public override string ToString() => GrainId.ToString();
}
