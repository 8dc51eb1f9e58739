using System.Net;
using ChatCluster.Runtime.Activations;
using ChatCluster.Runtime.Placement;
using ChatCluster.Runtime.Transport;

namespace ChatCluster.Runtime;

/// <summary>The runtime's side of the transport: sending a call to another silo, and making calls that arrive from one.</summary>
public sealed partial class GrainRuntime
{
    // Grain type to the generated "method id → empty call" factory of its interface, for the grain classes hosted here.
    private readonly Dictionary<string, Func<int, object?>> callFactories = [];

    /// <summary>The silo's transport, when one is configured (<see cref="Hosting.GrainRuntimeBuilder.AddTransport"/>); set by <see cref="StartAsync"/>.</summary>
    internal SiloTransport? Transport { get; private set; }

    /// <summary>
    /// Where calls go: when set and it returns an endpoint for a grain, calls to that grain go to the silo
    /// there instead of running here. Clustering sets it to the placement router; tests and benches may set
    /// their own.
    /// </summary>
    internal Func<GrainId, IPEndPoint?>? RemoteRoute { get; set; }

    /// <summary>
    /// The cluster's router, when clustering routes calls (set with <see cref="RemoteRoute"/>): it hands grains over
    /// between silos when they move, and keeps this silo's view at least as new as its peers'.
    /// </summary>
    internal ClusterRouter? Router { get; set; }

    /// <summary>
    /// This silo's current incarnation in the membership table (<c>host:port@epoch</c>), or a name no table lists
    /// before it joined; clustering sets it. Each activation keeps the value it began under (<see cref="Activation.Incarnation"/>).
    /// </summary>
    internal Func<string>? CurrentIncarnation { get; set; }

    /// <summary>The version of this silo's membership view, stamped on the frames it sends; 0 without clustering.</summary>
    internal long ViewVersion => Router?.ViewVersion ?? 0;

    /// <summary>
    /// Routes a call that arrived from another silo: when the sender's view is newer than ours this silo first
    /// catches up (so two silos never send a call back and forth on views of different ages); then a grain that
    /// has moved on is forwarded to its owner, and one that is ours runs here.
    /// </summary>
    internal void DeliverIncoming(GrainId grain, ITurn turn, long senderViewVersion)
    {
        if (Router is { } router && senderViewVersion > router.ViewVersion)
        {
            _ = router.CatchUpAsync(senderViewVersion).ContinueWith(
                static (_, state) =>
                {
                    var (runtime, grain, turn) = ((GrainRuntime, GrainId, ITurn))state!;
                    runtime.Redispatch(grain, turn);
                },
                (this, grain, turn), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return;
        }

        Redispatch(grain, turn);
    }

    /// <summary>
    /// Another silo (the grain's new owner, whose view has <paramref name="askerViewVersion"/>) asks this one to let
    /// go of <paramref name="grain"/>: completes when the grain is not active here any more.
    /// </summary>
    internal Task ReleaseAsync(GrainId grain, long askerViewVersion) =>
        Router?.ReleaseAsync(grain, askerViewVersion) ?? Task.CompletedTask;

    /// <summary>Before a grain activates here: completes once the silos that owned it before the last view changes have let go of it.</summary>
    internal Task PrepareActivationAsync(GrainId grain) => Router?.PrepareActivationAsync(grain) ?? Task.CompletedTask;

    /// <summary>Sends <paramref name="call"/> to grain <paramref name="id"/> on the silo at <paramref name="endpoint"/>; its task completes from the response.</summary>
    internal void SendRemote(IPEndPoint endpoint, GrainId id, IRemotableCall call)
    {
        if (Transport is not { } transport)
        {
            call.TryFail(new InvalidOperationException(
                $"The call {call} to grain {id} was routed to silo {endpoint}, but this runtime has no transport: call AddTransport() on the grain runtime builder."));
            return;
        }

        transport.Send(endpoint, id, call);
    }

    /// <summary>
    /// Sends a turn that is here but whose grain is owned elsewhere (it was queued when the grain moved) to the
    /// owner; a call from another silo is answered when the owner answers. False when the grain belongs here.
    /// </summary>
    internal bool TryForward(GrainId id, ITurn turn)
    {
        if (RemoteRoute?.Invoke(id) is not { } endpoint)
        {
            return false;
        }

        switch (turn)
        {
            case RemoteTurn remote:
                remote.AnswerWhenCompleted();
                SendRemote(endpoint, id, remote.Call);
                return true;
            case IRemotableCall call:
                SendRemote(endpoint, id, call);
                return true;
            default:
                return false;
        }
    }

    /// <summary>How long an undelivered call waits before it is routed again.</summary>
    private static readonly TimeSpan UndeliveredRetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A call that never reached the silo it was routed to (unreachable, or the connection closed before the
    /// call was written): route it again after a short pause, since membership may meanwhile have given the
    /// grain to another silo, until the call's deadline; then it fails with <paramref name="reason"/>. Only
    /// calls that were not sent come here, so none runs twice.
    /// </summary>
    /// <param name="runtime">The runtime the call was made in; null (a transport without one) fails the call at once.</param>
    /// <param name="id">The grain called.</param>
    /// <param name="call">The call that was not sent.</param>
    /// <param name="reason">Why it was not sent; the call fails with it once it cannot be retried.</param>
    internal static void RetryUndelivered(GrainRuntime? runtime, GrainId id, IRemotableCall call, SiloUnavailableException reason)
    {
        if (runtime is null || runtime.stopped || Environment.TickCount64 + (long)UndeliveredRetryPause.TotalMilliseconds >= call.Deadline)
        {
            call.TryFail(reason);
            return;
        }

        runtime.RouteAgainLater(id, call);
    }

    private void RouteAgainLater(GrainId id, IRemotableCall call)
    {
        _ = Task.Delay(UndeliveredRetryPause).ContinueWith(
            _ =>
            {
                try
                {
                    if (RemoteRoute?.Invoke(id) is { } endpoint)
                    {
                        SendRemote(endpoint, id, call);
                        return;
                    }

                    Dispatch(id, call);
                }
                catch (Exception ex)
                {
                    call.TryFail(ex);
                }
            },
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>A new, empty call object of method <paramref name="methodId"/> of a grain type hosted here; null if there is none.</summary>
    internal IRemotableCall? CreateCall(string grainType, int methodId) =>
        callFactories.TryGetValue(grainType, out var create) ? create(methodId) as IRemotableCall : null;

    private void AddCallFactory(Type grainInterface, string grainType)
    {
        Placement.PinnedGrains.Learn(grainInterface, grainType);
        if (Manifest.AssemblyManifest.Of(grainInterface.Assembly).CallFactories.TryGetValue(grainType, out var create))
        {
            callFactories[grainType] = create;
        }
    }
}
