using ChatCluster.Gateway.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// What a stand-alone gateway reads to join its cluster as an Orleans client, bound and checked at once: the cluster
/// id (<c>ChatCluster:Cluster:ClusterId</c>), the Redis that holds the membership (<c>ChatCluster:Redis:Configuration</c>,
/// required) and the call timeout (<c>ChatCluster:Runtime:CallTimeout</c>, 5 s unless set).
/// </summary>
public sealed record ClusterClientSettings(ClusterIdentity Cluster, RedisSettings Redis, CallTimeoutSettings Runtime)
{
    /// <exception cref="OptionsValidationException">A value is missing or out of range; each message names its key.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names its key.</exception>
    public static ClusterClientSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new ClusterClientSettings(
            CheckedSettings.Read<ClusterIdentity>(configuration, ClusterIdentity.Section, null, o => o.Validate()),
            CheckedSettings.Read<RedisSettings>(configuration, RedisSettings.Section, null,
                o => o.Validate("the gateway runs on its own (it finds the cluster's silos in Redis)")),
            CheckedSettings.Read<CallTimeoutSettings>(configuration, CallTimeoutSettings.Section, null, o => o.Validate()));
    }

    /// <summary>How long a grain call from this gateway may take: <c>ChatCluster:Runtime:CallTimeout</c>, else 5 s.</summary>
    public TimeSpan CallTimeout => Runtime.CallTimeoutOrDefault(clustered: true);

    /// <summary>Which cluster, for the start-up line: names the Redis servers, never the password.</summary>
    public string Describe() => $"Redis clustering at {Redis.Servers()}, cluster {Cluster.ClusterId}, call timeout {CallTimeout}";
}
