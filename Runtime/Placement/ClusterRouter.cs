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
/// A cluster client (a gateway process: it watches membership but is not a member) routes every grain
/// to a silo. Grains of <see cref="PinnedGrainAttribute"/> types go to the endpoint their key names.
/// </summary>
internal sealed class ClusterRouter
{
    private readonly GrainRuntime runtime;
    private readonly string localEndpoint;
    private readonly bool isMember;
    private readonly ConcurrentDictionary<string, IPEndPoint> endpoints = new(StringComparer.Ordinal);
    private volatile RendezvousPlacement placement;

    /// <param name="runtime">The runtime whose calls are routed.</param>
    /// <param name="membership">The membership this process watches (and, for a silo, takes part in).</param>
    /// <param name="localEndpoint">This process's transport endpoint, <c>host:port</c>.</param>
    /// <param name="isMember">True for a silo (it hosts the grains it owns); false for a cluster client.</param>
    public ClusterRouter(GrainRuntime runtime, MembershipService membership, string localEndpoint, bool isMember)
    {
        this.runtime = runtime;
        this.localEndpoint = localEndpoint;
        this.isMember = isMember;
        placement = new RendezvousPlacement(membership.View.ActiveSilos);
        membership.ViewChanged += (_, change) => OnViewChanged(change.View);
        membership.Fenced += (_, _) => ReleaseAll();
    }

    /// <summary>
    /// The endpoint of the grain's owner; null when it is this process (or, in a silo, when no silo is
    /// active yet: then it runs here).
    /// </summary>
    /// <exception cref="SiloUnavailableException">This is a cluster client and no silo is active.</exception>
    public IPEndPoint? Route(GrainId grain)
    {
        if (PinnedGrains.IsPinned(grain.Type))
        {
            return PinnedGrains.TryGetEndpoint(grain.Key, out var pinned) && pinned != localEndpoint ? EndpointOf(pinned) : null;
        }

        var owner = placement.OwnerOf(grain);
        if (owner is null)
        {
            return isMember ? null : throw new SiloUnavailableException($"No silo is active in the cluster to take grain {grain}.");
        }

        return owner.Endpoint == localEndpoint ? null : EndpointOf(owner.Endpoint);
    }

    private IPEndPoint EndpointOf(string endpoint) => endpoints.GetOrAdd(endpoint, static text => IPEndPoint.Parse(text));

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
