namespace ChatCluster.Runtime.Clustering;

/// <summary>One silo's row in the membership table.</summary>
/// <param name="Address">The silo incarnation (endpoint and epoch).</param>
/// <param name="Status">Where it is in its life.</param>
/// <param name="LastHeartbeat">Its last heartbeat (or join or status change), by the table's clock.</param>
/// <param name="Votes">Suspicion votes against it that were cast within the suspicion window when last written.</param>
public sealed record MembershipEntry(SiloAddress Address, SiloStatus Status, DateTimeOffset LastHeartbeat, IReadOnlyList<SuspicionVote> Votes);
