using ChatCluster.Runtime.Placement;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Joins the cluster when the host starts (after the grain runtime, so the transport already listens) and
/// leaves it gracefully when the host stops; a cluster client only watches. With a transport, calls are
/// routed to their owners from then on.
/// </summary>
/// <remarks>
/// Leaving moves the grains out before the silo is gone: ShuttingDown first (the others route elsewhere, and
/// this silo forwards the calls that still arrive), then every grain deactivates here (state written; their new
/// owners wait for that before they activate them), and only then Dead. The grain runtime stops after this,
/// answering the calls it still has before its transport closes.
/// </remarks>
internal sealed class MembershipHostedService(MembershipService membership, GrainRuntime runtime, ClusterOptions options) : IHostedService
{
    private ClusterRouter? router;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var isMember = options.Role == ClusterRole.Silo;
        if (isMember)
        {
            // What a grain publishes is fenced by the incarnation it activated under (see StreamPublisher).
            runtime.CurrentIncarnation = () => membership.IncarnationName;
        }

        if (runtime.Transport is not null)
        {
            router = new ClusterRouter(runtime, membership, options);
            runtime.Router = router;
            runtime.RemoteRoute = router.Route;
            if (isMember && runtime.Streams is { Provider.IsShared: true } streams)
            {
                PartitionOwnership.Divide(streams, router, membership);
            }
        }

        if (isMember)
        {
            await membership.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await membership.WatchAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (options.Role == ClusterRole.Client)
        {
            await membership.StopAsync().ConfigureAwait(false);
            return;
        }

        if (router is not null)
        {
            await membership.BeginLeavingAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await router.MoveOutAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Out of time: leave anyway; grains still here are written when the runtime stops.
            }
        }

        await membership.LeaveAsync(cancellationToken).ConfigureAwait(false);
    }
}
