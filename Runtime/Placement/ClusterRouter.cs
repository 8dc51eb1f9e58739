using System.Collections.Concurrent;
using System.Net;
using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Placement;

/// <summary>
/// Sends each grain call to the silo that owns the grain under the newest membership view (rendezvous
/// placement), and moves grains out when a view gives them to another silo: their activations here
/// deactivate (state written) and the next call activates them at the new owner. A fenced silo lets go
/// of every grain. Correctness does not rest on this being instant: two silos that briefly both think
/// they own a grain are kept apart by the etag check on state writes.
/// </summary>
internal sealed class ClusterRouter
{
    private readonly GrainRuntime runtime;
    private readonly MembershipService membership;
    private readonly ConcurrentDictionary<string, IPEndPoint> endpoints = new(StringComparer.Ordinal);
    private volatile RendezvousPlacement placement;

    public ClusterRouter(GrainRuntime runtime, MembershipService membership)
    {
        this.runtime = runtime;
        this.membership = membership;
        placement = new RendezvousPlacement(membership.View.ActiveSilos);
        membership.ViewChanged += (_, change) => OnViewChanged(change.View);
        membership.Fenced += (_, _) => ReleaseAll();
    }

    /// <summary>The endpoint of the grain's owner; null when it is this silo (or no silo is active yet: then it runs here).</summary>
    public IPEndPoint? Route(GrainId grain)
    {
        var owner = placement.OwnerOf(grain);
        if (owner is null || owner.Endpoint == membership.Address.Endpoint)
        {
            return null;
        }

        return endpoints.GetOrAdd(owner.Endpoint, static (_, silo) => new IPEndPoint(IPAddress.Parse(silo.Host), silo.Port), owner);
    }

    private void OnViewChanged(MembershipView view)
    {
        placement = new RendezvousPlacement(view.ActiveSilos);
        foreach (var activation in runtime.Catalog.Snapshot())
        {
            if (Route(activation.Id) is not null)
            {
                activation.RequestDeactivation(DeactivationReason.Rebalancing);
            }
        }
    }

    private void ReleaseAll()
    {
        foreach (var activation in runtime.Catalog.Snapshot())
        {
            activation.RequestDeactivation(DeactivationReason.Rebalancing);
        }
    }
}
