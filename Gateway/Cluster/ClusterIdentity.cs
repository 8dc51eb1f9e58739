using Orleans.Configuration;

namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// What every member of a cluster reads from configuration section <c>ChatCluster:Cluster</c>, silos and stand-alone
/// gateways alike: which cluster it belongs to. The silo's settings add its endpoint and membership tuning.
/// </summary>
public class ClusterIdentity
{
    public const string Section = "ChatCluster:Cluster";

    /// <summary>
    /// Orleans' service id: grain state in PostgreSQL is keyed by it, so every silo and every run of the service uses
    /// this one (a cluster id may change between deployments; the service id may not).
    /// </summary>
    public const string ServiceId = "chatcluster";

    /// <summary>Orleans' cluster id: silos and clients with the same id (and Redis) form one cluster; it may change between deployments.</summary>
    public string ClusterId { get; set; } = "default";

    /// <summary>Checks each value on its own; one message per bad setting, naming its key.</summary>
    public virtual IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ClusterId) || ClusterId.Any(char.IsWhiteSpace))
        {
            yield return $"{Section}:ClusterId is '{ClusterId}'; it must be a name without white space (default default).";
        }
    }

    /// <summary>Sets Orleans' cluster and service ids.</summary>
    public void ApplyTo(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ClusterId = ClusterId;
        options.ServiceId = ServiceId;
    }
}
