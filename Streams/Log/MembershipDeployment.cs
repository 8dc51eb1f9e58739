using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// The silos Orleans' <see cref="DeploymentBasedQueueBalancer"/> spreads the queues over: every silo of the cluster's
/// membership that is not dead (joining, active or leaving), so that silos added or removed at run time count without
/// a configured list. The balancer gives the active ones among them an even share (within one queue) in a fixed order.
/// </summary>
/// <remarks>
/// Silos that are joining or leaving are named too: the balancer requires every active silo it sees to be among these
/// names, and a superset keeps that true while the membership changes between its two looks at it.
/// </remarks>
internal sealed class MembershipDeployment(ISiloStatusOracle membership) : IDeploymentConfiguration
{
    public IList<string> GetAllSiloNames()
    {
        var names = new List<string>();
        foreach (var (silo, status) in membership.GetApproximateSiloStatuses(onlyActive: false))
        {
            if (status is not (SiloStatus.Dead or SiloStatus.None) && membership.TryGetSiloName(silo, out var name))
            {
                names.Add(name);
            }
        }

        return names;
    }
}
