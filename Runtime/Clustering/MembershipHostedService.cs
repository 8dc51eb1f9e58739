using ChatCluster.Runtime.Placement;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Joins the cluster when the host starts (after the grain runtime, so the transport already listens) and
/// leaves it gracefully when the host stops. With a transport, calls are routed to their owners from then on.
/// </summary>
internal sealed class MembershipHostedService(MembershipService membership, GrainRuntime runtime) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (runtime.Transport is not null)
        {
            var router = new ClusterRouter(runtime, membership);
            runtime.RemoteRoute = router.Route;
        }

        await membership.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => membership.LeaveAsync(cancellationToken);
}
