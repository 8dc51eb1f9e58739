namespace ChatCluster.Runtime.Clustering;

/// <summary>What a write to the <see cref="IMembershipTable"/> did. Only <see cref="Applied"/> changed anything.</summary>
public enum MembershipOutcome
{
    /// <summary>Done: a view change bumped the version (a heartbeat does not).</summary>
    Applied = 1,

    /// <summary>The silo already had that status: nothing changed, the version stays.</summary>
    Unchanged,

    /// <summary>No entry for that address (never joined, or the table was reset).</summary>
    NotFound,

    /// <summary>The addressed silo is dead: a dead epoch cannot heartbeat, change status, rejoin or be voted again.</summary>
    Dead,

    /// <summary>Join refused: that address is already in the table.</summary>
    AlreadyExists,

    /// <summary>Join refused: a newer epoch of the same endpoint is in the table.</summary>
    Superseded,

    /// <summary>Status change refused: statuses only move forward (Joining, Active, ShuttingDown, Dead).</summary>
    InvalidTransition,

    /// <summary>Vote refused: the voter is not an active silo (it may itself be dead).</summary>
    VoterNotActive,
}
