namespace ChatCluster.Runtime.Clustering;

/// <summary>One silo's vote that another is dead, at <paramref name="Time"/> by the table's clock.</summary>
/// <param name="Voter">The silo that voted.</param>
/// <param name="Time">When, by the membership table's clock (not the voter's).</param>
public sealed record SuspicionVote(SiloAddress Voter, DateTimeOffset Time);
