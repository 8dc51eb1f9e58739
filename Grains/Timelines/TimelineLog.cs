using Orleans.Streams;

namespace ChatCluster.Grains.Timelines;

/// <summary>
/// One timeline as its owning grain keeps it: sequence numbers, de-duplication of client message ids,
/// publishing each message to the log (durable before it counts), and sync that serves recent
/// messages from memory and older ones from the store. Used inside one grain: single-threaded.
/// </summary>
internal sealed class TimelineLog
{
    private static readonly TimeSpan StoreCatchUpTimeout = TimeSpan.FromSeconds(10);

    private readonly TimelineServices services;
    private readonly IAsyncStream<TimelineEvent> stream;
    private readonly RecentWindow recent;
    private readonly Action reload;
    private readonly Func<Session[]?> recipients;
    private SequenceAllocator? sequence;
    private long evictedUpTo;
    private SortedSet<long>? elsewhere; // seqs whose copies other grains are publishing (TakeSeqForElsewhereAsync)

    /// <param name="timeline">The timeline's name (<c>user:ID</c>, <c>group:ID</c>).</param>
    /// <param name="stream">The timeline's stream in the log (<see cref="TimelineStreams"/>), from the owning grain.</param>
    /// <param name="services">The store, the read barrier and the settings.</param>
    /// <param name="recipients">The devices to push a new message of this timeline to, if the owner knows them (see <see cref="TimelineEvent.Recipients"/>).</param>
    /// <param name="reload">
    /// Called once when a publish fails: the event may be in the log anyway (its reply was lost), which memory cannot
    /// tell, so the grain should deactivate and load again from the store (<c>DeactivateOnIdle</c>).
    /// </param>
    public TimelineLog(string timeline, IAsyncStream<TimelineEvent> stream, TimelineServices services, Func<Session[]?> recipients, Action reload)
    {
        Name = timeline;
        this.services = services;
        this.reload = reload;
        this.recipients = recipients;
        this.stream = stream;
        recent = new RecentWindow(services.Options.RecentMessages);
        Sent = new SentWindow(timeline, services.Options.DedupeWindow);
    }

    public string Name { get; }

    /// <summary>The highest seq of a message that is durable (acked or ackable).</summary>
    public long LastSeq { get; private set; }

    /// <summary>The last seq handed out; persist it as the bound when deactivating gracefully, so no number is skipped.</summary>
    public long LastAllocated => sequence?.Last ?? LastSeq;

    /// <summary>
    /// Loads the recent messages. First waits until the persistence handler has stored everything
    /// published to this timeline so far, so that the store holds every acked message (even those of
    /// an activation that crashed) and de-duplication and sync see them.
    /// </summary>
    public async Task LoadAsync(long persistedLimit, Func<long, Task> persistLimit, CancellationToken cancellationToken)
    {
        await services.Barrier.WaitAsync(Name, cancellationToken);
        var store = services.Store;
        var last = await store.GetLastSeqAsync(Name, cancellationToken);
        var keep = services.Options.RecentMessages;
        foreach (var message in await store.ReadAsync(Name, Math.Max(0, last - keep), keep, cancellationToken))
        {
            recent.Add(message);
            Sent.Remember(message);
        }

        LastSeq = last;
        evictedUpTo = recent.Count > 0 ? recent[0].Seq - 1 : last;
        sequence = new SequenceAllocator(Math.Max(persistedLimit, last), services.Options.SequenceStep, persistLimit);
    }

    /// <summary>
    /// The timeline's de-duplication window: what a resend of a (sender, client message id) gets back. Reserve a send in
    /// it before <see cref="AppendAsync"/> and pass the reservation there, or to <see cref="SentWindow.Release"/> if the
    /// send fails before.
    /// </summary>
    public SentWindow Sent { get; }

    /// <summary>
    /// True once a publish failed: this activation no longer knows for sure what the log holds, so it appends nothing
    /// more and is reloaded (a resend then finds the message if the failed publish stored it after all).
    /// </summary>
    public bool IsReloading { get; private set; }

    /// <summary>Appends a message built from its new seq, publishes it and returns it once durable.</summary>
    /// <inheritdoc cref="AppendAsync{T}"/>
    public Task<ChatMessage> AppendAsync(Func<long, ChatMessage> build, Session? origin, SendReservation? reservation = null, TimelineEvent? companion = null) =>
        AppendAsync(build, static message => message, origin, reservation, companion);

    /// <summary>Appends a message built from its new seq, publishes it and, once it is durable, returns what <paramref name="reply"/> makes of it.</summary>
    /// <param name="build">Builds the message from its seq.</param>
    /// <param name="reply">
    /// The grain's answer, made from the durable message: a grain method can return this task as it is, rather than
    /// await it only to wrap its result (one continuation less through the grain's scheduler).
    /// </param>
    /// <param name="origin">The connection it came from, if any (push skips it).</param>
    /// <param name="reservation">The send's place in <see cref="Sent"/>, if it has one.</param>
    /// <param name="companion">
    /// Another timeline's event to publish in the same record (a direct message's sender copy): one append, durable
    /// together, in this timeline's partition.
    /// </param>
    /// <exception cref="StorageUnavailableException">
    /// The grain storage could not raise the sequence's bound (nothing published; the timeline stays loaded), the publish
    /// failed, or an earlier failure left the timeline reloading.
    /// </exception>
    public Task<T> AppendAsync<T>(
        Func<long, ChatMessage> build, Func<ChatMessage, T> reply, Session? origin, SendReservation? reservation = null, TimelineEvent? companion = null)
    {
        // Published in the same turn as the seq was taken: the log's order is the seq order. Most seqs come from the
        // reserved range at once, and then no second state machine waits on the publish.
        var taking = TakeSeqAsync(reservation);
        return taking.IsCompletedSuccessfully
            ? PublishAsync(build(taking.Result), reply, origin, reservation, companion)
            : AppendWhenTakenAsync(taking, build, reply, origin, reservation, companion);
    }

    private async Task<T> AppendWhenTakenAsync<T>(
        ValueTask<long> taking, Func<long, ChatMessage> build, Func<ChatMessage, T> reply, Session? origin, SendReservation? reservation, TimelineEvent? companion)
    {
        var seq = await taking;
        return await PublishAsync(build(seq), reply, origin, reservation, companion);
    }

    /// <summary>
    /// Takes the next seq, before this method first yields (so seqs go in call order). Pass it to
    /// <see cref="PublishAsync"/>, or, for a copy another timeline's grain publishes, to <see cref="Accept"/> or
    /// <see cref="Abandon"/>; until then sync serves nothing above it.
    /// </summary>
    /// <exception cref="StorageUnavailableException">As for <see cref="AppendAsync"/>; nothing was taken.</exception>
    public async ValueTask<long> TakeSeqAsync(SendReservation? reservation)
    {
        if (IsReloading)
        {
            var reloading = new StorageUnavailableException($"Timeline {Name} is reloading after a failed publish; retry shortly.");
            if (reservation is not null)
            {
                Sent.Release(reservation, reloading);
            }

            throw reloading;
        }

        try
        {
            return await sequence!.NextAsync();
        }
        catch (Exception ex)
        {
            if (reservation is not null)
            {
                Sent.Release(reservation, ex);
            }

            // Orleans' storage bridge passes it as it is (an OrleansException); it wraps only other exceptions.
            if (ex is StorageUnavailableException)
            {
                // The grain storage is down, so the sequence's bound could not be raised and nothing was published: the
                // timeline is exactly as memory says. It stays loaded and a resend tries again; a reload would wait for
                // the persistence group, which during a database outage waits for the database too.
                throw new StorageUnavailableException($"Timeline {Name} could not take a sequence number now: {ex.Message}");
            }

            // Anything else leaves memory in doubt; above all a stale etag: another activation of this grain wrote its
            // state, and may have handed out numbers. Only a reload from storage can tell.
            Reload();
            throw;
        }
    }

    /// <summary>Publishes a message whose seq <see cref="TakeSeqAsync"/> gave, with <paramref name="companion"/> in the same record if any, and returns it once durable.</summary>
    private async Task<T> PublishAsync<T>(ChatMessage message, Func<ChatMessage, T> reply, Session? origin, SendReservation? reservation, TimelineEvent? companion)
    {
        try
        {
            var own = EventOf(message, origin);
            await (companion is null ? stream.OnNextAsync(own) : stream.OnNextBatchAsync([own, companion]));
            Accept(message, reservation);
            return reply(message);
        }
        catch (Exception ex)
        {
            if (reservation is not null)
            {
                Sent.Release(reservation, ex);
            }

            // A publish whose reply was lost may have stored the message: only the store can tell a resend.
            Reload();
            throw;
        }
    }

    /// <summary>The event this timeline publishes for <paramref name="message"/>, with the devices to push it to.</summary>
    public TimelineEvent EventOf(ChatMessage message, Session? origin) => new(message, origin, recipients());

    /// <summary>
    /// A message of this timeline is durable: another grain published it (a direct message's sender copy, under a seq
    /// from <see cref="TakeSeqAsync"/>), or <see cref="PublishAsync"/> did. Sync and de-duplication see it from now on.
    /// </summary>
    public void Accept(ChatMessage message, SendReservation? reservation)
    {
        ArgumentNullException.ThrowIfNull(message);
        elsewhere?.Remove(message.Seq);
        AddRecent(message);
        Sent.Accept(message, reservation);
    }

    /// <summary>
    /// The copy that was to carry <paramref name="seq"/> failed. If it may be in the log after all
    /// (<paramref name="mayBePublished"/>: a lost reply), the timeline reloads from the store; if surely not, the seq is
    /// given back when no later one was taken, and is otherwise skipped (a gap, as after a crash).
    /// </summary>
    /// <returns>False if the seq is skipped.</returns>
    public bool Abandon(long seq, SendReservation reservation, Exception failure, bool mayBePublished)
    {
        elsewhere?.Remove(seq);
        Sent.Release(reservation, failure);
        if (mayBePublished)
        {
            Reload();
            return true;
        }

        return sequence!.TryGiveBack(seq);
    }

    /// <summary>
    /// Takes a seq for a copy another timeline's grain publishes (see <see cref="TakeSeqAsync"/>): until it is accepted or
    /// abandoned, sync serves nothing above it, so a client never syncs past a message that is still coming.
    /// </summary>
    public async ValueTask<long> TakeSeqForElsewhereAsync(SendReservation reservation)
    {
        var seq = await TakeSeqAsync(reservation);
        (elsewhere ??= []).Add(seq);
        return seq;
    }

    /// <summary>Every stored message with seq &gt; <paramref name="afterSeq"/>, up to <paramref name="limit"/>.</summary>
    public async Task<SyncResult> SyncAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var page = new List<ChatMessage>(Math.Min(limit + 1, 128));
        if (recent.Count == 0 || afterSeq < recent[0].Seq - 1)
        {
            if (afterSeq < evictedUpTo)
            {
                // Evicted from memory since activation: make sure the store has caught up with them,
                // but do not hold the grain for longer than a caller would wait.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(StoreCatchUpTimeout);
                try
                {
                    await services.Barrier.WaitAsync(Name, timeout.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return SyncResult.Refused(ChatErrorCode.Unavailable, "Older messages are still being stored; retry the sync shortly.");
                }
            }

            page.AddRange(await services.Store.ReadAsync(Name, afterSeq, limit + 1, cancellationToken));
            afterSeq = page.Count > 0 ? page[^1].Seq : afterSeq;
        }

        for (var i = recent.FirstAfter(afterSeq); i < recent.Count && page.Count <= limit; i++)
        {
            page.Add(recent[i]);
        }

        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(page.Count - 1);
        }

        var lastSeq = LastSeq;
        if (elsewhere is { Count: > 0 })
        {
            // A copy below these is still being published by another grain: serve up to it, so the client's next sync
            // (after the highest seq it saw) cannot pass over it.
            var below = elsewhere.Min;
            if (page.RemoveAll(m => m.Seq > below) > 0)
            {
                hasMore = false;
            }

            lastSeq = Math.Min(lastSeq, below - 1);
        }

        return new SyncResult(page, lastSeq, hasMore, null);
    }

    /// <summary>
    /// The stored user message <paramref name="from"/> sent with <paramref name="clientMsgId"/>, for a resend that
    /// <see cref="Sent"/> does not know although the message was published (its direct message's recipient has it): older
    /// than this activation remembers, or published by an attempt whose outcome this activation never learned. Remembered
    /// from now on. Null if the store does not have it, or not within a caller's patience.
    /// </summary>
    public async Task<ChatMessage?> FindSentAsync(string from, string clientMsgId)
    {
        using (var timeout = new CancellationTokenSource(StoreCatchUpTimeout))
        {
            try
            {
                await services.Barrier.WaitAsync(Name, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        var found = await services.Store.FindSentAsync(Name, from, clientMsgId, CancellationToken.None);
        if (found is null)
        {
            return null;
        }

        var index = recent.FirstAfter(found.Seq - 1);
        if (found.Seq > evictedUpTo && (index >= recent.Count || recent[index].Seq != found.Seq))
        {
            // Within what memory should hold, yet not in it: memory misses what the log has.
            Reload();
        }

        Sent.Remember(found);
        return found;
    }

    /// <summary>Memory may be missing a message the log has: appends nothing more, and the grain reloads (see <see cref="IsReloading"/>).</summary>
    public void Reload()
    {
        if (!IsReloading)
        {
            IsReloading = true;
            reload();
        }
    }

    private void AddRecent(ChatMessage message)
    {
        LastSeq = Math.Max(LastSeq, message.Seq);
        if (recent.Add(message) is { } evicted)
        {
            evictedUpTo = Math.Max(evictedUpTo, evicted.Seq);
        }
    }
}
