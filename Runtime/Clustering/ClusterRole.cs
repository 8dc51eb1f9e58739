namespace ChatCluster.Runtime.Clustering;

/// <summary>What a process is in the cluster.</summary>
public enum ClusterRole
{
    /// <summary>A member: it joins membership, is probed, and hosts the grains placement gives it.</summary>
    Silo,

    /// <summary>
    /// A cluster client (a gateway process): it watches membership and calls each grain's owner directly,
    /// but hosts no placed grains (only <see cref="PinnedGrainAttribute"/> ones, such as its push delivery).
    /// </summary>
    Client,
}
