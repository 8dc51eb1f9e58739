namespace ChatCluster.Runtime.Clustering;

/// <summary>Where membership is kept.</summary>
public enum ClusterProvider
{
    /// <summary>In this process's memory (<see cref="LocalMembershipTable"/>): one silo, no Redis. The embedded default.</summary>
    Local = 0,

    /// <summary>In Redis (<see cref="RedisMembershipTable"/>), connected with the <c>ChatCluster:Redis</c> settings.</summary>
    Redis = 1,
}
