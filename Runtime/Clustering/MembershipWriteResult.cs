namespace ChatCluster.Runtime.Clustering;

/// <summary>The result of a write to the <see cref="IMembershipTable"/>.</summary>
/// <param name="Outcome">What happened; only <see cref="MembershipOutcome.Applied"/> changed the table.</param>
/// <param name="Version">The table's version after the write (the new version when it bumped it).</param>
/// <param name="DeclaredDead">For a vote: it was the deciding one and the suspect is now dead.</param>
public readonly record struct MembershipWriteResult(MembershipOutcome Outcome, long Version, bool DeclaredDead = false)
{
    public bool IsApplied => Outcome == MembershipOutcome.Applied;
}
