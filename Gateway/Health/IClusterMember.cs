namespace ChatCluster.Gateway.Health;

/// <summary>
/// This process's place in the Orleans cluster, as <see cref="HealthEndpoints"/> report it: a silo's own view, or that
/// of a client (a stand-alone gateway).
/// </summary>
public interface IClusterMember
{
    /// <summary><c>silo</c> or <c>client</c>; also the <c>/healthz</c> field that carries <see cref="Name"/>.</summary>
    string Role { get; }

    /// <summary>The silo's address, or the client's gateway id.</summary>
    string Name { get; }

    /// <summary>Null when this member may take traffic; otherwise what it is doing instead (e.g. <c>joining</c>, <c>disconnected</c>).</summary>
    string? NotReady { get; }

    /// <summary>Grain activations in this process (none on a client).</summary>
    int Activations { get; }

    /// <summary>The silos this member sees active in its cluster, without a grain call.</summary>
    Task<int> ActiveSilosAsync();
}
