using Microsoft.Extensions.Hosting;

namespace ChatCluster.Runtime.Clustering;

/// <summary>Joins the cluster when the host starts and leaves it gracefully when the host stops.</summary>
internal sealed class MembershipHostedService(MembershipService membership) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => membership.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => membership.LeaveAsync(cancellationToken);
}
