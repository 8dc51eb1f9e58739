namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Where a silo is in its life, in the only order it may move: <see cref="Joining"/> →
/// <see cref="Active"/> → <see cref="ShuttingDown"/> → <see cref="Dead"/> (any step may be skipped,
/// none undone). A dead silo's epoch never comes back: the process rejoins with a new epoch.
/// </summary>
public enum SiloStatus
{
    /// <summary>In the table, not yet serving: it gets no grains and is not probed.</summary>
    Joining = 1,

    /// <summary>Serving: placement counts it, peers probe it.</summary>
    Active = 2,

    /// <summary>Leaving gracefully: it finishes its work and takes no new grains.</summary>
    ShuttingDown = 3,

    /// <summary>Gone (left, or declared dead by its peers). Final for this epoch.</summary>
    Dead = 4,
}
