using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// One silo's part in cluster membership. It joins (Joining, then Active) under a fresh epoch,
/// heartbeats, reads the table and raises <see cref="ViewChanged"/> whenever the version grew, probes
/// the next <see cref="ClusterOptions.ProbedSilos"/> active silos after itself, and votes a peer dead
/// after <see cref="ClusterOptions.MissedProbes"/> failed probes in a row or when its heartbeat is older
/// than <see cref="ClusterOptions.DeathTimeout"/>. When it finds its own epoch dead, missing, or cannot
/// heartbeat for <see cref="ClusterOptions.DeathTimeout"/>, it is fenced at once (<see cref="IsServing"/>
/// false, <see cref="Fenced"/>) and rejoins with a new epoch, i.e. a new <see cref="Address"/>.
/// </summary>
/// <remarks>
/// Graceful leave (<see cref="LeaveAsync"/>) sets ShuttingDown, stops the loops, then sets Dead: the
/// entry stays as a tombstone of that epoch until a newer epoch of the same endpoint joins. Events are raised on the
/// service's own tasks, one at a time; handlers should be quick.
/// </remarks>
public sealed partial class MembershipService : IAsyncDisposable
{
    private readonly IMembershipTable table;
    private readonly ClusterOptions options;
    private readonly string host;
    private readonly int port;
    private readonly Func<SiloAddress, CancellationToken, Task<bool>> probe;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly Lock viewGate = new();
    private readonly List<Task> running = [];
    private readonly Dictionary<SiloAddress, int> missedProbes = [];
    private SiloAddress? address;
    private SiloAddress? probingAs;
    private bool serving;
    private long servingSinceVersion;
    private long lastHeartbeatAt;
    private bool shuttingDown;
    private Task? catchingUp;
    private MembershipView view = MembershipView.Empty;
    private CancellationTokenSource? stopping;

    /// <param name="table">Where membership is kept.</param>
    /// <param name="options">Intervals, thresholds (already validated, e.g. by <see cref="ClusterOptions.Read"/>).</param>
    /// <param name="host">The host this silo is reached at.</param>
    /// <param name="port">The port this silo is reached at.</param>
    /// <param name="probe">Asks a peer whether it is alive (true) within the token's time; a throw or false is a failed probe.</param>
    /// <param name="logger">Joins, status changes, votes, deaths and fencing are logged here.</param>
    public MembershipService(IMembershipTable table, ClusterOptions options, string host, int port,
        Func<SiloAddress, CancellationToken, Task<bool>> probe, ILogger<MembershipService>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(ClusterOptions.Section, typeof(ClusterOptions), problems);
        }

        Endpoint = new SiloAddress(host, port, 0).Endpoint; // also checks host and port now rather than at the first join
        this.table = table;
        this.options = options;
        this.host = host;
        this.port = port;
        this.probe = probe;
        this.logger = logger ?? NullLogger<MembershipService>.Instance;
    }

    /// <summary>
    /// A newer view was read (versions only grow from one event to the next). Raised for every view change,
    /// votes included, so compare <see cref="MembershipView.ActiveSilos"/> to see whether the active set moved.
    /// </summary>
    public event EventHandler<MembershipViewChangedEventArgs>? ViewChanged;

    /// <summary>This silo stopped serving: its epoch was declared dead, vanished, or it could not heartbeat. It rejoins next.</summary>
    public event EventHandler<SiloFencedEventArgs>? Fenced;

    /// <summary>
    /// This silo (re)started serving: raised after it joined or rejoined, once <see cref="IsServing"/> is true. A view
    /// read meanwhile by the refresh loop may already have been raised through <see cref="ViewChanged"/> while it was
    /// not serving yet, so what depends on both (which stream partitions to consume) is decided again here.
    /// </summary>
    public event EventHandler<EventArgs>? StartedServing;

    /// <summary>The current incarnation (changes when the silo rejoins after being fenced).</summary>
    /// <exception cref="InvalidOperationException">The silo has not joined yet.</exception>
    public SiloAddress Address
    {
        get
        {
            lock (gate)
            {
                return address ?? throw new InvalidOperationException("The silo has not joined the cluster yet.");
            }
        }
    }

    /// <summary>
    /// The current incarnation as the table names it (<c>host:port@epoch</c>), also while fenced (then the table has it
    /// dead); before the first join a name with epoch 0, which no table lists.
    /// </summary>
    public string IncarnationName
    {
        get
        {
            lock (gate)
            {
                return address?.ToString() ?? $"{Endpoint}@0";
            }
        }
    }

    /// <summary>True while the current epoch is active in the table as far as this silo knows; false once fenced, left or stopped.</summary>
    public bool IsServing
    {
        get
        {
            lock (gate)
            {
                return serving;
            }
        }
    }

    /// <summary>Where this process is reached, <c>host:port</c> (the same in every epoch).</summary>
    public string Endpoint { get; }

    /// <summary>The newest view read so far.</summary>
    public MembershipView View => Volatile.Read(ref view);

    /// <summary>Test hook: while true, heartbeats are not sent and count as failed (as if cut off from the table).</summary>
    internal bool HeartbeatsPaused { get; set; }

    /// <summary>Joins under a new epoch, becomes Active, reads the view, then runs the heartbeat, refresh and probe loops.</summary>
    /// <exception cref="InvalidOperationException">Started before, or the table refused the join.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CancellationToken token;
        lock (gate)
        {
            if (stopping is not null)
            {
                throw new InvalidOperationException("A membership service starts once; create a new one.");
            }

            stopping = new CancellationTokenSource();
            token = stopping.Token;
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, token);
        await JoinAsync(both.Token).ConfigureAwait(false);
        lock (gate)
        {
            running.Add(LoopAsync("heartbeat", options.HeartbeatInterval, HeartbeatOnceAsync, token));
            running.Add(LoopAsync("refresh", options.RefreshInterval, RefreshAndVoteAsync, token));
            running.Add(LoopAsync("probe", options.ProbeInterval, ProbeOnceAsync, token));
        }
    }

    /// <summary>
    /// Watches membership without joining, as a cluster client (a gateway process) does: reads the view now,
    /// then every <see cref="ClusterOptions.RefreshInterval"/>, raising <see cref="ViewChanged"/>. It never
    /// heartbeats, probes or votes, and is never fenced.
    /// </summary>
    /// <exception cref="InvalidOperationException">Started before.</exception>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        CancellationToken token;
        lock (gate)
        {
            if (stopping is not null)
            {
                throw new InvalidOperationException("A membership service starts once; create a new one.");
            }

            stopping = new CancellationTokenSource();
            token = stopping.Token;
        }

        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, token);
        await RefreshAsync(both.Token).ConfigureAwait(false);
        lock (gate)
        {
            running.Add(LoopAsync("refresh", options.RefreshInterval, RefreshAndVoteAsync, token));
        }
    }

    /// <summary>
    /// The first step of leaving gracefully: sets ShuttingDown, so that placement gives this silo's grains to the
    /// others, and reads the view that says so (raising <see cref="ViewChanged"/>). The silo keeps heartbeating and
    /// answering probes until <see cref="LeaveAsync"/>; meanwhile it moves its grains out.
    /// </summary>
    public async Task BeginLeavingAsync(CancellationToken cancellationToken)
    {
        SiloAddress? me;
        lock (gate)
        {
            me = serving && !shuttingDown ? address : null;
            shuttingDown |= me is not null;
        }

        if (me is not null)
        {
            var result = await table.SetStatusAsync(me, SiloStatus.ShuttingDown, cancellationToken).ConfigureAwait(false);
            LogStatusChanged(logger, me, SiloStatus.ShuttingDown, result.Outcome, result.Version);
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Leaves gracefully: ShuttingDown (unless <see cref="BeginLeavingAsync"/> did it), stops the loops, then Dead (each a view change).</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        await BeginLeavingAsync(cancellationToken).ConfigureAwait(false);
        SiloAddress? me;
        bool wasServing;
        lock (gate)
        {
            me = address;
            wasServing = serving;
        }

        await StopAsync().ConfigureAwait(false);
        if (me is not null && wasServing)
        {
            var dead = await table.SetStatusAsync(me, SiloStatus.Dead, cancellationToken).ConfigureAwait(false);
            LogStatusChanged(logger, me, SiloStatus.Dead, dead.Outcome, dead.Version);
            LogLeft(logger, me);
        }
    }

    /// <summary>
    /// Reads the table if this silo's view is older than <paramref name="version"/> (a peer's view), so that it
    /// routes as that peer does. Concurrent callers share one read; failures are logged, never thrown.
    /// </summary>
    internal async Task CatchUpAsync(long version)
    {
        // A read that began before the peer's view existed may return an older one: read again then, a few times at most.
        for (var attempt = 0; attempt < 3 && View.Version < version; attempt++)
        {
            Task read;
            lock (gate)
            {
                read = catchingUp ??= CatchUpOnceAsync();
            }

            await read.ConfigureAwait(false);
        }
    }

    private async Task CatchUpOnceAsync()
    {
        await Task.Yield();
        try
        {
            using var timeout = new CancellationTokenSource(options.DeathTimeout);
            await RefreshAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogTickFailed(logger, "catch-up", address, exception.Message);
        }
        finally
        {
            lock (gate)
            {
                catchingUp = null;
            }
        }
    }

    /// <summary>Stops every loop without telling the table (as a crash would); peers will declare this epoch dead.</summary>
    public async Task StopAsync()
    {
        Task[] tasks;
        lock (gate)
        {
            if (stopping is null || stopping.IsCancellationRequested)
            {
                return;
            }

            stopping.Cancel();
            serving = false;
            tasks = [.. running];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false); // the loops end on cancellation without throwing
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stopping?.Dispose();
    }

    private async Task JoinAsync(CancellationToken cancellationToken)
    {
        var candidate = new SiloAddress(host, port, SiloAddress.NewEpoch());
        var joined = await table.JoinAsync(candidate, cancellationToken).ConfigureAwait(false);
        if (!joined.IsApplied)
        {
            throw new InvalidOperationException($"Silo {candidate} could not join the cluster: the membership table answered {joined.Outcome}.");
        }

        LogJoined(logger, candidate, joined.Version);
        var active = await table.SetStatusAsync(candidate, SiloStatus.Active, cancellationToken).ConfigureAwait(false);
        if (!active.IsApplied)
        {
            throw new InvalidOperationException($"Silo {candidate} could not become active: the membership table answered {active.Outcome}.");
        }

        LogStatusChanged(logger, candidate, SiloStatus.Active, active.Outcome, active.Version);
        lock (gate)
        {
            address = candidate;
            serving = true;
            servingSinceVersion = active.Version;
            lastHeartbeatAt = Stopwatch.GetTimestamp();
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        Raise(StartedServing, EventArgs.Empty);
    }

    private async Task LoopAsync(string name, TimeSpan interval, Func<CancellationToken, Task> tick, CancellationToken token)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
            {
                try
                {
                    await tick(token).ConfigureAwait(false);
                }
                catch (Exception exception) when (!token.IsCancellationRequested)
                {
                    LogTickFailed(logger, name, address, exception.Message);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // stopped
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // a call failed because the service is stopping: nothing to report
        }
    }

    private async Task HeartbeatOnceAsync(CancellationToken token)
    {
        var (me, isServing) = Current();
        if (!isServing)
        {
            return;
        }

        if (!HeartbeatsPaused && SinceLastHeartbeat() is var silent && silent < options.DeathTimeout)
        {
            try
            {
                // Wait no longer than the fencing deadline: a hung call (e.g. a partition without resets) must not delay fencing.
                var result = await table.HeartbeatAsync(me, token).WaitAsync(options.DeathTimeout - silent, token).ConfigureAwait(false);
                if (!result.IsApplied)
                {
                    Fence(me, $"the membership table refused its heartbeat ({result.Outcome})");
                    return;
                }

                lock (gate)
                {
                    if (address == me)
                    {
                        lastHeartbeatAt = Stopwatch.GetTimestamp();
                    }
                }
            }
            catch (Exception exception) when (!token.IsCancellationRequested)
            {
                LogHeartbeatFailed(logger, me, exception.Message);
            }
        }

        if (SinceLastHeartbeat() is var since && since >= options.DeathTimeout)
        {
            Fence(me, $"it could not heartbeat for {since.TotalSeconds:0.0} s (DeathTimeout {options.DeathTimeout.TotalSeconds:0.0} s)");
        }
    }

    private TimeSpan SinceLastHeartbeat()
    {
        lock (gate)
        {
            return Stopwatch.GetElapsedTime(lastHeartbeatAt);
        }
    }

    private async Task RefreshAndVoteAsync(CancellationToken token)
    {
        var current = await RefreshAsync(token).ConfigureAwait(false);
        var (me, isServing) = Current();
        if (!isServing)
        {
            return;
        }

        foreach (var entry in current.Entries)
        {
            var age = current.ReadAt - entry.LastHeartbeat;
            if (entry.Address != me && entry.Status != SiloStatus.Dead && age > options.DeathTimeout && !VotedRecently(current, entry.Address, me))
            {
                await VoteAsync(me, entry.Address, $"its last heartbeat is {age.TotalSeconds:0.0} s old", token).ConfigureAwait(false);
            }
        }
    }

    private async Task<MembershipView> RefreshAsync(CancellationToken token)
    {
        var read = await table.ReadAsync(token).ConfigureAwait(false);
        Apply(read);
        return read;
    }

    /// <summary>Keeps <paramref name="read"/> if it is newer, raising <see cref="ViewChanged"/>; fences when it shows this epoch dead or gone.</summary>
    private void Apply(MembershipView read)
    {
        lock (viewGate)
        {
            if (read.Version > view.Version)
            {
                Volatile.Write(ref view, read);
                LogViewChanged(logger, address, read.Version, read.ActiveSilos.Count);
                Raise(ViewChanged, new MembershipViewChangedEventArgs(read));
            }
        }

        SiloAddress? me;
        bool check;
        lock (gate)
        {
            me = address;
            check = serving && read.Version >= servingSinceVersion; // an older read may predate this epoch's join
        }

        if (!check || me is null)
        {
            return;
        }

        var mine = read.Find(me);
        if (mine is null)
        {
            Fence(me, $"its entry is gone from the membership table (view {read.Version})");
        }
        else if (mine.Status == SiloStatus.Dead)
        {
            Fence(me, $"the membership table lists it dead (view {read.Version})");
        }
    }

    private async Task ProbeOnceAsync(CancellationToken token)
    {
        var (me, isServing) = Current();
        if (!isServing || me != probingAs)
        {
            missedProbes.Clear();
            probingAs = isServing ? me : null;
            if (!isServing)
            {
                return;
            }
        }

        var targets = View.ProbeTargets(me, options.ProbedSilos);
        foreach (var gone in missedProbes.Keys.Except(targets).ToList())
        {
            missedProbes.Remove(gone);
        }

        var answers = await Task.WhenAll(targets.Select(target => ProbeAsync(target, token))).ConfigureAwait(false);
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (answers[i])
            {
                missedProbes.Remove(target);
                continue;
            }

            var missed = missedProbes.GetValueOrDefault(target) + 1;
            missedProbes[target] = missed;
            LogProbeFailed(logger, me, target, missed);
            if (missed >= options.MissedProbes && !VotedRecently(View, target, me))
            {
                await VoteAsync(me, target, $"{missed} probes in a row failed", token).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> ProbeAsync(SiloAddress target, CancellationToken token)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(options.ProbeTimeout);
        try
        {
            return await probe(target, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            return false; // a probe that throws or times out is a failed probe
        }
    }

    /// <summary>
    /// True when <paramref name="voter"/>'s vote against <paramref name="suspect"/> is younger than half the
    /// suspicion window in <paramref name="current"/> (or the suspect is not listed): voting again would
    /// only bump the version. Renewing at half the window keeps the vote alive while others join it.
    /// </summary>
    private bool VotedRecently(MembershipView current, SiloAddress suspect, SiloAddress voter)
    {
        var entry = current.Find(suspect);
        return entry is null || entry.Votes.Any(v => v.Voter == voter && current.ReadAt - v.Time < options.SuspicionWindow / 2);
    }

    private async Task VoteAsync(SiloAddress me, SiloAddress suspect, string reason, CancellationToken token)
    {
        var result = await table.SuspectAsync(suspect, me, options.VotesForDeath, options.SuspicionWindow, token).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case MembershipOutcome.Applied:
                LogVoted(logger, me, suspect, reason, result.Version);
                if (result.DeclaredDead)
                {
                    LogDeclaredDead(logger, suspect, me, result.Version);
                }

                break;
            case MembershipOutcome.Dead:
                break; // someone else's vote got there first
            default:
                LogVoteRefused(logger, me, suspect, result.Outcome);
                break;
        }

        await RefreshAsync(token).ConfigureAwait(false);
    }

    /// <summary>Stops serving as <paramref name="fenced"/> (if that is still the current, serving epoch) and rejoins under a new epoch.</summary>
    private void Fence(SiloAddress fenced, string reason)
    {
        CancellationToken token;
        lock (gate)
        {
            if (!serving || address != fenced || stopping is null || stopping.IsCancellationRequested)
            {
                return;
            }

            serving = false;
            token = stopping.Token;
        }

        LogFenced(logger, fenced, reason);
        Raise(Fenced, new SiloFencedEventArgs(fenced, reason));
        lock (gate)
        {
            if (!token.IsCancellationRequested)
            {
                running.Add(Task.Run(() => RejoinAsync(fenced, token), CancellationToken.None));
            }
        }
    }

    private async Task RejoinAsync(SiloAddress fenced, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await JoinAsync(token).ConfigureAwait(false);
                LogRejoined(logger, fenced, Address);
                return;
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogRejoinFailed(logger, fenced, exception.Message);
            }

            try
            {
                await Task.Delay(options.HeartbeatInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private (SiloAddress Address, bool Serving) Current()
    {
        lock (gate)
        {
            return (address!, serving && address is not null);
        }
    }

    private void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
        catch (Exception exception)
        {
            LogHandlerFailed(logger, typeof(TArgs).Name, exception);
        }
    }
}
