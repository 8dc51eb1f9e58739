namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// The membership table in this process's memory: local clustering, the embedded default (no Redis).
/// Only silos of this process can share it. Keeps every rule of <see cref="IMembershipTable"/>.
/// </summary>
public sealed class LocalMembershipTable : IMembershipTable
{
    private readonly Lock gate = new();
    private readonly Dictionary<SiloAddress, MembershipEntry> entries = [];
    private readonly TimeProvider clock;
    private long version;

    /// <param name="clock">The table's clock (the system clock when null).</param>
    public LocalMembershipTable(TimeProvider? clock = null) => this.clock = clock ?? TimeProvider.System;

    public Task<MembershipView> ReadAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult(new MembershipView(version, clock.GetUtcNow(), entries.Values));
        }
    }

    public Task<MembershipWriteResult> JoinAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (gate)
        {
            if (entries.TryGetValue(address, out var existing))
            {
                return Result(existing.Status == SiloStatus.Dead ? MembershipOutcome.Dead : MembershipOutcome.AlreadyExists);
            }

            var sameEndpoint = entries.Values.Where(e => e.Address.Endpoint == address.Endpoint).ToList();
            if (sameEndpoint.Any(e => e.Address.Epoch > address.Epoch))
            {
                return Result(MembershipOutcome.Superseded);
            }

            var now = clock.GetUtcNow();
            // The previous epoch stays as a dead tombstone; earlier ones go.
            var previous = sameEndpoint.Count == 0 ? -1 : sameEndpoint.Max(e => e.Address.Epoch);
            foreach (var older in sameEndpoint)
            {
                if (older.Address.Epoch != previous)
                {
                    entries.Remove(older.Address);
                }
                else if (older.Status != SiloStatus.Dead)
                {
                    entries[older.Address] = older with { Status = SiloStatus.Dead };
                }
            }

            entries[address] = new MembershipEntry(address, SiloStatus.Joining, now, []);
            return Bumped();
        }
    }

    public Task<MembershipWriteResult> SetStatusAsync(SiloAddress address, SiloStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!Enum.IsDefined(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Not a silo status.");
        }

        lock (gate)
        {
            if (!entries.TryGetValue(address, out var entry))
            {
                return Result(MembershipOutcome.NotFound);
            }

            if (entry.Status == SiloStatus.Dead)
            {
                return Result(MembershipOutcome.Dead);
            }

            if (status == entry.Status)
            {
                return Result(MembershipOutcome.Unchanged);
            }

            if (status < entry.Status)
            {
                return Result(MembershipOutcome.InvalidTransition);
            }

            entries[address] = entry with { Status = status, LastHeartbeat = clock.GetUtcNow() };
            return Bumped();
        }
    }

    public Task<MembershipWriteResult> HeartbeatAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (gate)
        {
            if (!entries.TryGetValue(address, out var entry))
            {
                return Result(MembershipOutcome.NotFound);
            }

            if (entry.Status == SiloStatus.Dead)
            {
                return Result(MembershipOutcome.Dead);
            }

            entries[address] = entry with { LastHeartbeat = clock.GetUtcNow() };
            return Result(MembershipOutcome.Applied);
        }
    }

    public Task<MembershipWriteResult> SuspectAsync(SiloAddress suspect, SiloAddress voter, int votesForDeath, TimeSpan window,
        CancellationToken cancellationToken)
    {
        MembershipRules.CheckVote(suspect, voter, votesForDeath, window);
        lock (gate)
        {
            if (!entries.TryGetValue(voter, out var voterEntry) || voterEntry.Status != SiloStatus.Active)
            {
                return Result(MembershipOutcome.VoterNotActive);
            }

            if (!entries.TryGetValue(suspect, out var entry))
            {
                return Result(MembershipOutcome.NotFound);
            }

            if (entry.Status == SiloStatus.Dead)
            {
                return Result(MembershipOutcome.Dead);
            }

            var now = clock.GetUtcNow();
            List<SuspicionVote> votes = [.. entry.Votes.Where(v => v.Time > now - window && v.Voter != voter), new SuspicionVote(voter, now)];
            var otherActive = entries.Values.Count(e => e.Status == SiloStatus.Active && e.Address != suspect);
            var dead = votes.Count >= MembershipRules.VotesNeeded(votesForDeath, otherActive);
            entries[suspect] = entry with { Status = dead ? SiloStatus.Dead : entry.Status, Votes = votes };
            version++;
            return Task.FromResult(new MembershipWriteResult(MembershipOutcome.Applied, version, dead));
        }
    }

    private Task<MembershipWriteResult> Result(MembershipOutcome outcome) => Task.FromResult(new MembershipWriteResult(outcome, version));

    private Task<MembershipWriteResult> Bumped()
    {
        version++;
        return Result(MembershipOutcome.Applied);
    }
}
