namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Where the cluster's membership lives (the provider seam). Every view change — a join, a status
/// change, a suspicion vote — bumps the table's version by exactly one, atomically with the change, so
/// all readers see one total order of views. Heartbeats only refresh liveness and do not bump it.
/// Times (heartbeats, votes) are taken from the table's clock, never the caller's.
/// </summary>
/// <remarks>
/// Rules every implementation keeps: statuses only move forward; a dead epoch is final (its heartbeats,
/// status changes and a re-join are refused with <see cref="MembershipOutcome.Dead"/>); a join of a newer
/// epoch of an endpoint keeps the previous epoch of that endpoint as a dead entry (marking it dead if it was
/// not) and removes earlier ones, in the same change. A removed epoch stays refused
/// (<see cref="MembershipOutcome.NotFound"/> for heartbeats and status changes, <see cref="MembershipOutcome.Superseded"/>
/// for a join), so an endpoint keeps at most two entries. Dead entries of endpoints that never come back are not pruned yet.
/// </remarks>
public interface IMembershipTable
{
    /// <summary>Reads the whole table and its version in one consistent snapshot.</summary>
    Task<MembershipView> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts <paramref name="address"/> as <see cref="SiloStatus.Joining"/> (heartbeat now), marks the previous
    /// epoch of its endpoint dead and removes earlier ones. Refused when the address is listed (<see cref="MembershipOutcome.AlreadyExists"/>,
    /// or <see cref="MembershipOutcome.Dead"/>) or a newer epoch of its endpoint is (<see cref="MembershipOutcome.Superseded"/>).
    /// </summary>
    Task<MembershipWriteResult> JoinAsync(SiloAddress address, CancellationToken cancellationToken);

    /// <summary>
    /// Moves <paramref name="address"/> forward to <paramref name="status"/> (and refreshes its heartbeat).
    /// The same status again is <see cref="MembershipOutcome.Unchanged"/>; a step back is
    /// <see cref="MembershipOutcome.InvalidTransition"/>; a dead silo gets <see cref="MembershipOutcome.Dead"/>.
    /// </summary>
    Task<MembershipWriteResult> SetStatusAsync(SiloAddress address, SiloStatus status, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="address"/> is alive, by the table's clock. Does not bump the version.</summary>
    Task<MembershipWriteResult> HeartbeatAsync(SiloAddress address, CancellationToken cancellationToken);

    /// <summary>
    /// <paramref name="voter"/> (which must be active) votes that <paramref name="suspect"/> is dead.
    /// Votes older than <paramref name="window"/> are dropped and the voter's earlier vote is replaced.
    /// When the votes reach <paramref name="votesForDeath"/> — or the number of other active silos, when
    /// fewer (but at least one) — the suspect is declared <see cref="SiloStatus.Dead"/> in the same change
    /// (<see cref="MembershipWriteResult.DeclaredDead"/>).
    /// </summary>
    Task<MembershipWriteResult> SuspectAsync(SiloAddress suspect, SiloAddress voter, int votesForDeath, TimeSpan window,
        CancellationToken cancellationToken);
}
