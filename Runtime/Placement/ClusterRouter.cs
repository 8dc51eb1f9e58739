using System.Collections.Concurrent;
using System.Net;
using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Placement;

/// <summary>
/// Sends each grain call to the silo that owns the grain under the newest membership view (rendezvous
/// placement), and moves grains out when a view gives them to another silo: their activations here
/// deactivate (state written) and the next call activates them at the new owner. A fenced silo lets go
/// of every grain. A cluster client (a gateway process: it watches membership but is not a member) routes
/// every grain to a silo. Grains of <see cref="PinnedGrainAttribute"/> types go to the endpoint their key names.
/// </summary>
/// <remarks>
/// Silos learn a new view at slightly different times. So that a grain is not active at its old and its new
/// owner at once, the new owner first asks the silos that owned the grain under the views of the last
/// <see cref="ClusterOptions.DeathTimeout"/> to let go of it (<see cref="PrepareActivationAsync"/>); the old
/// owner catches up with the asker's view, deactivates the grain and answers (<see cref="ReleaseAsync"/>).
/// The etag check on state writes still keeps two activations apart should that fail (e.g. a silo cut off).
/// </remarks>
internal sealed class ClusterRouter
{
    private readonly GrainRuntime runtime;
    private readonly MembershipService membership;
    private readonly string localEndpoint;
    private readonly bool isMember;
    private readonly long handOffWindowMilliseconds;
    private readonly ConcurrentDictionary<string, IPEndPoint> endpoints = new(StringComparer.Ordinal);

    // Placements of the views before the recent changes of the active silos, each until its hand-off window ends.
    private readonly List<(RendezvousPlacement Placement, long Until)> previous = [];
    private volatile RendezvousPlacement placement;
    private volatile bool anyPrevious;

    /// <param name="runtime">The runtime whose calls are routed.</param>
    /// <param name="membership">The membership this process watches (and, for a silo, takes part in).</param>
    /// <param name="options">The cluster settings: <see cref="ClusterOptions.Role"/> (a silo hosts the grains it owns,
    /// a client none) and <see cref="ClusterOptions.DeathTimeout"/> (the hand-off window).</param>
    public ClusterRouter(GrainRuntime runtime, MembershipService membership, ClusterOptions options)
    {
        this.runtime = runtime;
        this.membership = membership;
        localEndpoint = membership.Endpoint;
        isMember = options.Role == ClusterRole.Silo;
        handOffWindowMilliseconds = (long)options.DeathTimeout.TotalMilliseconds;
        placement = new RendezvousPlacement(membership.View.ActiveSilos);
        membership.ViewChanged += (_, change) => OnViewChanged(change.View);
        membership.Fenced += (_, _) => ReleaseAll();
    }

    /// <summary>The version of the newest view this process has read.</summary>
    public long ViewVersion => membership.View.Version;

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

    /// <summary>Reads the membership table if this silo's view is older than <paramref name="version"/> (a peer's).</summary>
    public Task CatchUpAsync(long version) => membership.CatchUpAsync(version);

    /// <summary>
    /// Before <paramref name="grain"/> activates here: when the active silos changed within the hand-off window and a
    /// silo that owned the grain before is still alive (active or shutting down), asks it to let go of the grain and
    /// waits for its answer, at most the call timeout. Completes at once otherwise (the usual case).
    /// </summary>
    public Task PrepareActivationAsync(GrainId grain)
    {
        if (!anyPrevious || runtime.Transport is not { } transport || PinnedGrains.IsPinned(grain.Type))
        {
            return Task.CompletedTask;
        }

        var owners = PreviousOwners(grain);
        if (owners.Count == 0)
        {
            return Task.CompletedTask;
        }

        var timeout = TimeSpan.FromMilliseconds(runtime.CallTimeoutMilliseconds);
        return Task.WhenAll(owners.Select(owner => transport.ReleaseAsync(EndpointOf(owner.Endpoint), grain, timeout)));
    }

    /// <summary>
    /// A new owner (whose view has <paramref name="askerViewVersion"/>) asks this silo to let go of
    /// <paramref name="grain"/>: catches up with its view first (so calls for the grain are forwarded from now on),
    /// then deactivates the grain if it is active here and not ours; completes when it is gone.
    /// </summary>
    public async Task ReleaseAsync(GrainId grain, long askerViewVersion)
    {
        await CatchUpAsync(askerViewVersion).ConfigureAwait(false);
        if (runtime.Catalog.Find(grain) is { } activation && Route(grain) is not null)
        {
            activation.RequestDeactivation(DeactivationReason.Rebalancing);
            await activation.Deactivated.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deactivates every grain here that this silo's view gives to another silo and waits until they are gone
    /// (used when the silo leaves: once its view shows it shutting down, that is every grain).
    /// </summary>
    public async Task MoveOutAsync(CancellationToken cancellationToken)
    {
        while (runtime.Catalog.Snapshot().Where(activation => Route(activation.Id) is not null).ToList() is { Count: > 0 } moving)
        {
            foreach (var activation in moving)
            {
                activation.RequestDeactivation(DeactivationReason.Rebalancing);
            }

            await Task.WhenAll(moving.Select(activation => activation.Deactivated)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private List<SiloAddress> PreviousOwners(GrainId grain)
    {
        var view = membership.View;
        var me = localEndpoint;
        var now = Environment.TickCount64;
        var owners = new List<SiloAddress>(1);
        lock (previous)
        {
            previous.RemoveAll(entry => entry.Until <= now);
            anyPrevious = previous.Count > 0;
            foreach (var (before, _) in previous)
            {
                if (before.OwnerOf(grain) is { } owner && owner.Endpoint != me && !owners.Contains(owner)
                    && view.Find(owner)?.Status is SiloStatus.Active or SiloStatus.ShuttingDown)
                {
                    owners.Add(owner);
                }
            }
        }

        return owners;
    }

    private IPEndPoint EndpointOf(string endpoint) => endpoints.GetOrAdd(endpoint, static text => IPEndPoint.Parse(text));

    private void OnViewChanged(MembershipView view)
    {
        var next = new RendezvousPlacement(view.ActiveSilos);
        var before = placement;
        if (!before.Silos.SequenceEqual(next.Silos))
        {
            // A silo's first view already lists it active: before it, the grains were the other silos'.
            var me = localEndpoint;
            var owners = before.Silos.Count > 0 ? before : new RendezvousPlacement(view.ActiveSilos.Where(silo => silo.Endpoint != me));
            lock (previous)
            {
                previous.Add((owners, Environment.TickCount64 + handOffWindowMilliseconds));
                anyPrevious = true;
            }
        }

        placement = next;
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
