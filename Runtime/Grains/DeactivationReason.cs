namespace ChatCluster.Runtime;

/// <summary>Why an activation is being deactivated.</summary>
public enum DeactivationReason
{
    /// <summary>It was idle for longer than the collection age.</summary>
    Idle,
    /// <summary>The grain asked for it with <see cref="Grain.DeactivateOnIdle"/>.</summary>
    Requested,
    /// <summary>The silo is shutting down.</summary>
    SiloStopping,
    /// <summary>The grain's owner changed (cluster membership changed).</summary>
    Rebalancing,
}
