namespace ChatCluster.Silo.Configuration;

/// <summary>How the silo finds the other silos of its cluster.</summary>
public enum ClusterProvider
{
    /// <summary>Alone: Orleans' localhost clustering on a private loopback port (the embedded default).</summary>
    Local,
    /// <summary>Orleans' Redis clustering: the membership table in Redis, silos on <c>ChatCluster:Cluster:SiloPort</c>.</summary>
    Redis,
}
