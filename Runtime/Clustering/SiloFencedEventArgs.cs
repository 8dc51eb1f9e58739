namespace ChatCluster.Runtime.Clustering;

/// <summary>A silo stopped serving because its epoch is (or may be) dead to the cluster.</summary>
public sealed class SiloFencedEventArgs(SiloAddress address, string reason) : EventArgs
{
    /// <summary>The incarnation that stopped serving; the silo rejoins under a new epoch.</summary>
    public SiloAddress Address { get; } = address;

    /// <summary>Why, for logs.</summary>
    public string Reason { get; } = reason;
}
