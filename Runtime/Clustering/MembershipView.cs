namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// The membership table as read at one moment: its <see cref="Version"/> and every entry. Views are
/// totally ordered by version: every view change (join, status change, vote) bumps it by one, so two
/// views with the same version are the same view.
/// </summary>
public sealed class MembershipView
{
    /// <summary>Version 0: nothing read yet.</summary>
    public static MembershipView Empty { get; } = new(0, DateTimeOffset.UnixEpoch, []);

    /// <param name="version">The table's version when read.</param>
    /// <param name="readAt">The table's clock when read (to age heartbeats without trusting this process's clock).</param>
    /// <param name="entries">The entries, in any order.</param>
    public MembershipView(long version, DateTimeOffset readAt, IEnumerable<MembershipEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Version = version;
        ReadAt = readAt;
        Entries = [.. entries.OrderBy(e => e.Address, SiloAddress.Order)];
        ActiveSilos = [.. Entries.Where(e => e.Status == SiloStatus.Active).Select(e => e.Address)];
    }

    public long Version { get; }

    /// <summary>The table's clock at the read.</summary>
    public DateTimeOffset ReadAt { get; }

    /// <summary>Every entry (dead ones too), ordered by <see cref="SiloAddress.Order"/>.</summary>
    public IReadOnlyList<MembershipEntry> Entries { get; }

    /// <summary>The active silos, ordered by <see cref="SiloAddress.Order"/>: the same list in every process that read this version.</summary>
    public IReadOnlyList<SiloAddress> ActiveSilos { get; }

    /// <summary>The entry of <paramref name="address"/>, or null.</summary>
    public MembershipEntry? Find(SiloAddress address) => Entries.FirstOrDefault(e => e.Address == address);

    /// <summary>
    /// The up to <paramref name="count"/> active silos that follow <paramref name="self"/> in
    /// <see cref="ActiveSilos"/> (wrapping around): the peers it probes. Each active silo is thereby probed
    /// by the <paramref name="count"/> silos before it. Empty when <paramref name="self"/> is not active.
    /// </summary>
    public IReadOnlyList<SiloAddress> ProbeTargets(SiloAddress self, int count)
    {
        var index = -1;
        for (var i = 0; i < ActiveSilos.Count; i++)
        {
            if (ActiveSilos[i] == self)
            {
                index = i;
                break;
            }
        }

        if (index < 0)
        {
            return [];
        }

        var targets = new List<SiloAddress>();
        for (var step = 1; step < ActiveSilos.Count && targets.Count < count; step++)
        {
            targets.Add(ActiveSilos[(index + step) % ActiveSilos.Count]);
        }

        return targets;
    }

    public override string ToString() =>
        $"v{Version}: {string.Join(", ", Entries.Select(e => $"{e.Address} {e.Status}"))}";
}
