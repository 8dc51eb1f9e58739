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
    /// <exception cref="StorageUnavailableException">
    /// The grain storage could not raise the sequence's bound (nothing published; the timeline stays loaded), the publish
    /// failed, or an earlier failure left the timeline reloading.
    /// </exception>
    public async Task<ChatMessage> AppendAsync(Func<long, ChatMessage> build, Session? origin, SendReservation? reservation = null)
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

        long seq;
        try
        {
            seq = await sequence!.NextAsync();
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
            StartReload();
            throw;
        }

        try
        {
            var message = build(seq);
            // Published in the same turn as the seq was taken: the log's order is the seq order.
            await stream.OnNextAsync(new TimelineEvent(message, origin, recipients()));
            AddRecent(message);
            Sent.Accept(message, reservation);
            return message;
        }
        catch (Exception ex)
        {
            if (reservation is not null)
            {
                Sent.Release(reservation, ex);
            }

            // A publish whose reply was lost may have stored the message: only the store can tell a resend.
            StartReload();
            throw;
        }
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

        return new SyncResult(page, LastSeq, hasMore, null);
    }

    private void StartReload()
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
