namespace ChatCluster.Runtime.Clustering;

/// <summary>Rules both membership tables share, so they decide the same way.</summary>
internal static class MembershipRules
{
    /// <summary>
    /// Votes that declare a silo dead: <paramref name="votesForDeath"/>, but no more than the other
    /// active silos that could cast them (a two-silo cluster needs the one survivor's vote), and at least one.
    /// </summary>
    public static int VotesNeeded(int votesForDeath, int otherActiveSilos) => Math.Max(1, Math.Min(votesForDeath, otherActiveSilos));

    public static void CheckVote(SiloAddress suspect, SiloAddress voter, int votesForDeath, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(suspect);
        ArgumentNullException.ThrowIfNull(voter);
        ArgumentOutOfRangeException.ThrowIfLessThan(votesForDeath, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        if (suspect == voter)
        {
            throw new ArgumentException($"Silo {voter} cannot vote against itself.", nameof(voter));
        }
    }
}
