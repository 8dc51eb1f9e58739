using ChatCluster.Runtime.Placement;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Joins the cluster when the host starts (after the grain runtime, so the transport already listens) and
/// leaves it gracefully when the host stops; a cluster client only watches. With a transport, calls are
/// routed to their owners from then on.
/// </summary>
internal sealed class MembershipHostedService(MembershipService membership, GrainRuntime runtime, ClusterRole role) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var isMember = role == ClusterRole.Silo;
        if (runtime.Transport is not null)
        {
            var router = new ClusterRouter(runtime, membership, membership.Endpoint, isMember);
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

    public Task StopAsync(CancellationToken cancellationToken) =>
        role == ClusterRole.Silo ? membership.LeaveAsync(cancellationToken) : membership.StopAsync();
}
