using ChatCluster.Gateway.Health;

namespace ChatCluster.Silo.Health;

/// <summary>
/// The silo as the health endpoints report it: its address, its status in the membership, its activations and the
/// silos it sees active, all from its own memory.
/// </summary>
public sealed class SiloMember(ILocalSiloDetails silo, ISiloStatusOracle status, IActivationWorkingSet activations) : IClusterMember
{
    public string Role => "silo";

    public string Name => silo.SiloAddress.ToString();

    public string? NotReady => status.CurrentStatus == SiloStatus.Active ? null : status.CurrentStatus.ToString().ToLowerInvariant();

    public int Activations => activations.Count;

    public Task<int> ActiveSilosAsync() => Task.FromResult(status.GetApproximateSiloStatuses(onlyActive: true).Count);
}
