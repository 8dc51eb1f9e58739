using System.Net;
using ChatCluster.Gateway.Cluster;

namespace ChatCluster.Silo.Configuration;

/// <summary>
/// Configuration section <c>ChatCluster:Cluster</c>: the cluster's id (<see cref="ClusterIdentity"/>), how the silo
/// finds the others (Orleans' clustering), its endpoint, and Orleans' membership settings
/// (<see cref="Orleans.Configuration.ClusterMembershipOptions"/>), whose defaults here are tuned for a chat's failover:
/// a killed silo is declared dead in about 1-3 s, a frozen one in about 9 s (measured on Orleans 10.4.2, see
/// ARCHITECTURE.md), instead of 5.5-7 s and 66 s with Orleans' own.
/// </summary>
public sealed class ClusterSettings : ClusterIdentity
{
    public ClusterProvider Provider { get; set; } = ClusterProvider.Local;

    /// <summary>The port silos talk to each other on; required with Redis clustering.</summary>
    public int SiloPort { get; set; }

    /// <summary>The port Orleans clients connect to; 0 opens none.</summary>
    public int GatewayPort { get; set; }

    /// <summary>The address the silo listens on and tells the others (an IP address).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>How long a probe of another silo may take before it counts as missed.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a silo votes another dead.</summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>Votes that declare a silo dead (fewer when fewer silos are active).</summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How often each silo reads the membership table.</summary>
    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each silo writes that it is alive to the membership table.</summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Kubernetes hosting (<c>Microsoft.Orleans.Hosting.Kubernetes</c>), for silos in pods only: the silo is named after
    /// its pod (<c>POD_NAME</c>, <c>POD_NAMESPACE</c> required), listens on every address of the pod (advertising
    /// <see cref="AdvertisedAddress"/>, set it to the pod's IP), labels its pod <c>orleans/serviceId</c> and
    /// <c>orleans/clusterId</c>, and declares a silo dead as soon as its pod is deleted (RBAC: pods get, list, watch,
    /// patch). Membership stays in Redis. Off by default; see infra/k8s/.
    /// </summary>
    public bool Kubernetes { get; set; }

    public bool IsClustered => Provider == ClusterProvider.Redis;

    /// <summary>Checks each value on its own (what cluster mode requires of other settings is checked by <see cref="SiloSettings.Read"/>).</summary>
    public override IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            yield return $"{Section}:Provider is '{Provider}'; it must be one of {string.Join(", ", Enum.GetNames<ClusterProvider>())}.";
        }

        foreach (var problem in base.Validate())
        {
            yield return problem;
        }

        foreach (var (name, port) in new[] { (nameof(SiloPort), SiloPort), (nameof(GatewayPort), GatewayPort) })
        {
            if (port is < 0 or > 65535)
            {
                yield return $"{Section}:{name} is {port}; it must be a TCP port between 1 and 65535 (0: none).";
            }
        }

        if (SiloPort != 0 && SiloPort == GatewayPort)
        {
            yield return $"{Section}:GatewayPort is {GatewayPort}, the same as {Section}:SiloPort; they must differ (or GatewayPort 0: none).";
        }

        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            yield return $"{Section}:AdvertisedAddress is '{AdvertisedAddress}'; it must be an IP address (default 127.0.0.1).";
        }

        foreach (var (name, value) in new[]
        {
            (nameof(ProbeTimeout), ProbeTimeout),
            (nameof(TableRefreshTimeout), TableRefreshTimeout),
            (nameof(IAmAliveTablePublishTimeout), IAmAliveTablePublishTimeout),
        })
        {
            if (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromHours(1))
            {
                yield return $"{Section}:{name} is {value}; it must be between 00:00:00.1 and 01:00:00.";
            }
        }

        foreach (var (name, value) in new[] { (nameof(NumMissedProbesLimit), NumMissedProbesLimit), (nameof(NumVotesForDeathDeclaration), NumVotesForDeathDeclaration) })
        {
            if (value is < 1 or > 100)
            {
                yield return $"{Section}:{name} is {value}; it must be between 1 and 100.";
            }
        }
    }
}
