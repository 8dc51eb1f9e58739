using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Streams;

namespace ChatCluster.Runtime.Placement;

/// <summary>
/// Divides the partitions of a log the silos share (see <see cref="IStreamProvider.IsShared"/>) among the active
/// silos: each (namespace, handler group, partition) is consumed by the silo that rendezvous placement names for
/// it, the same way grains are placed, and moves when the view changes. A silo that is not serving (joining,
/// fenced, leaving) consumes none. Each consumer acknowledges for the incarnation it started under, so a shared log
/// refuses the checkpoints of one the cluster has declared dead.
/// </summary>
internal static class PartitionOwnership
{
    /// <summary>The grain type under which partitions are placed (never activated; only its id is hashed).</summary>
    private const string PartitionType = "stream-partition";

    public static void Divide(StreamHandlerHost streams, ClusterRouter router, MembershipService membership)
    {
        streams.DivideAmongSilos((group, streamNamespace, partition) =>
            membership.IsServing && router.Route(new GrainId(PartitionType, $"{streamNamespace}/{group}/{partition}")) is null,
            () => membership.IncarnationName);
        // Raised after the router has taken the new view (it subscribed first).
        membership.ViewChanged += (_, _) => streams.Rebalance();
        membership.Fenced += (_, _) => streams.Rebalance();
        membership.StartedServing += (_, _) => streams.Rebalance();
    }
}
