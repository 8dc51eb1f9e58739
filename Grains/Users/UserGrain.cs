using ChatCluster.Grains.State;
using ChatCluster.Grains.Timelines;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Streams;

namespace ChatCluster.Grains.Users;

/// <summary>
/// A user: the <c>user:ID</c> timeline (write fan-out of direct messages), read cursors, groups and
/// online sessions. Reentrant so that two users messaging each other at once do not wait on each
/// other; every state change happens between awaits, so turns never see a half-done change.
/// </summary>
[Reentrant]
[GrainType("user")]
// Random, not Orleans' default (resource-optimized, which put 88 % of 1,000 grains on one of three silos
// here): chat grains cost about the same each, so an even count is an even load.
[RandomPlacement]
public sealed partial class UserGrain(
    [PersistentState("user", ChatStorage.Name)] IPersistentState<UserState> state,
    TimelineServices services) : Grain, IUserGrain
{
    private readonly ILogger logger = services.Loggers.CreateLogger<UserGrain>();
    private CoalescingStateWriter<UserState> writer = null!;
    private TimelineLog log = null!;

    // The last direct send to take its own seq. Each send waits for the one before it before taking its
    // seq, so a user's direct messages get seqs in the order they reached the grain, although their
    // recipients' appends run concurrently.
    private Task previousSend = Task.CompletedTask;

    private string UserId => this.GetPrimaryKeyString();

    private List<Session> Online => state.State.Sessions;

    // The online sessions as one array that every event and lookup shares (none changes it): replaced whenever a session
    // comes or goes, rather than copied for every message.
    private Session[] online = [];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        writer = new CoalescingStateWriter<UserState>(state);
        var name = Timeline.ForUser(UserId).ToString();
        var stream = this.GetStreamProvider(TimelineStreams.Provider).GetStream<TimelineEvent>(TimelineStreams.Namespace, name);
        online = [.. Online];
        log = new TimelineLog(name, stream, services, () => online, DeactivateOnIdle);
        return log.LoadAsync(state.State.SeqLimit, PersistSeqLimit, cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A graceful stop gives back the unused numbers of the reserved range: no gap.
        if (state.State.SeqLimit != log.LastAllocated)
        {
            state.State.SeqLimit = log.LastAllocated;
            await writer.WriteAsync();
        }
    }

    public async Task<SendResult> SendDirect(string recipient, string clientMsgId, string body, Session? origin)
    {
        if (!ChatIds.IsValid(recipient))
        {
            return SendResult.Refused(ChatErrorCode.BadRequest, "'to' must name a user: user:ID with ID of 1-64 characters [A-Za-z0-9_.-].");
        }

        if (SendValidation.Check(clientMsgId, body) is { } invalid)
        {
            return invalid;
        }

        if (log.Sent.TryGet(UserId, clientMsgId, out var earlier))
        {
            return await AckOf(earlier);
        }

        if (log.IsReloading)
        {
            return SendResult.Refused(ChatErrorCode.Unavailable, "Your timeline is reloading after a failed write; resend the message with the same clientMsgId.");
        }

        var me = UserId;
        var myTimeline = log.Name;
        var to = Timeline.ForUser(recipient).ToString();
        var reservation = log.Sent.Reserve(me, clientMsgId);
        var before = previousSend;
        var ordered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previousSend = ordered.Task;
        try
        {
            var ts = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            var msgId = MessageIds.New(ts);
            await before;
            if (recipient == me)
            {
                // AppendAsync asks for its seq before it first yields, and the allocator serves in call order.
                var appending = log.AppendAsync(
                    seq => new ChatMessage(myTimeline, seq, msgId, me, to, clientMsgId, MessageKind.User, body, ts), origin, reservation);
                ordered.TrySetResult();
                return SendResult.Accepted((await appending).ToAck());
            }

            // Both copies go into the log as one record, which the recipient's grain appends in its own partition: this
            // timeline's seq is taken first (in the order sends reached the grain) and the copy travels with the call.
            var taking = log.TakeSeqForElsewhereAsync(reservation);
            ordered.TrySetResult();
            var mine = new ChatMessage(myTimeline, await taking, msgId, me, to, clientMsgId, MessageKind.User, body, ts);
            DirectAck theirs;
            try
            {
                theirs = await GrainFactory.GetGrainByKey<IUserGrain>(recipient).AcceptDirect(me, msgId, clientMsgId, body, ts, log.EventOf(mine, origin));
            }
            catch (Exception ex)
            {
                // The recipient refuses before it publishes only with StorageUnavailableException; anything else (a timeout,
                // a lost reply) may have published both copies, which only a reload from the store can tell.
                if (!log.Abandon(mine.Seq, reservation, ex, mayBePublished: ex is not StorageUnavailableException))
                {
                    LogSeqSkipped(logger, myTimeline, mine.Seq);
                }

                throw;
            }

            if (!theirs.SenderCopyPublished)
            {
                // The recipient has this message from an earlier attempt, whose record carried this timeline's copy as
                // well; this activation does not remember that copy (older than its de-duplication window, or the attempt
                // was in doubt). The new seq goes back unused, and the resend gets the earlier copy's ack, from the store.
                var earlierAttempt = new StorageUnavailableException($"{myTimeline} is looking for the first attempt of this message.");
                log.Abandon(mine.Seq, reservation, earlierAttempt, mayBePublished: false);
                if (await log.FindSentAsync(me, clientMsgId) is { } first)
                {
                    return SendResult.Accepted(first.ToAck());
                }

                log.Reload();
                return SendResult.Refused(ChatErrorCode.Unavailable, "Your timeline is reloading; resend the message with the same clientMsgId.");
            }

            log.Accept(mine, reservation);
            return SendResult.Accepted(mine.ToAck());
        }
        catch (Exception ex)
        {
            LogSendFailed(logger, ex, me, recipient);
            return SendResult.Refused(ChatErrorCode.Unavailable, "The message could not be stored now; resend it with the same clientMsgId.");
        }
        finally
        {
            ordered.TrySetResult(); // a failed send must not hold up the ones after it
        }
    }

    public Task<DirectAck> AcceptDirect(string from, string msgId, string clientMsgId, string body, long ts, TimelineEvent senderCopy)
    {
        ArgumentNullException.ThrowIfNull(senderCopy);
        if (log.Sent.TryGet(from, clientMsgId, out var earlier))
        {
            return EarlierDirectAck(earlier);
        }

        var timeline = log.Name;
        return log.AppendAsync(
            seq => new ChatMessage(timeline, seq, msgId, from, timeline, clientMsgId, MessageKind.User, body, ts),
            static message => new DirectAck(message.ToAck(), SenderCopyPublished: true),
            origin: null,
            log.Sent.Reserve(from, clientMsgId),
            senderCopy);
    }

    public Task<SyncResult> Sync(long afterSeq, int limit) =>
        SendValidation.CheckPage(afterSeq, limit) is { } invalid ? Task.FromResult(invalid) : log.SyncAsync(afterSeq, limit, CancellationToken.None);

    public async Task<IReadOnlyList<TimelineInfo>> Timelines()
    {
        var me = UserId;
        var groups = state.State.Groups.ToArray();
        var lastSeqs = await Task.WhenAll(groups.Select(g => GrainFactory.GetGrainByKey<IGroupGrain>(g).LastSeq(me)));
        var items = new List<TimelineInfo>(groups.Length + 1) { new(log.Name, log.LastSeq, ReadCursor(log.Name)) };
        for (var i = 0; i < groups.Length; i++)
        {
            if (lastSeqs[i] is { } lastSeq)
            {
                var name = Timeline.ForGroup(groups[i]).ToString();
                items.Add(new TimelineInfo(name, lastSeq, ReadCursor(name)));
            }
        }

        return items;
    }

    public async Task<OperationResult> MarkRead(string timeline, long seq)
    {
        if (!Timeline.TryParse(timeline, out var parsed) || seq < 0)
        {
            return OperationResult.Refused(ChatErrorCode.BadRequest, "'timeline' must be user:ID or group:ID and 'seq' an integer >= 0.");
        }

        var mine = parsed.Kind == TimelineKind.User ? parsed.Id == UserId : state.State.Groups.Contains(parsed.Id);
        if (!mine)
        {
            return OperationResult.Refused(ChatErrorCode.Forbidden, $"{timeline} is not one of your timelines.");
        }

        var name = parsed.ToString();
        if (seq > ReadCursor(name))
        {
            state.State.ReadCursors[name] = seq;
            await writer.WriteAsync();
        }

        return OperationResult.Ok;
    }

    public async Task<long> Connect(Session session)
    {
        // Events built from now on carry the session (their seqs are above this one).
        var pushedAfter = log.LastAllocated;
        if (!Online.Contains(session))
        {
            Online.Add(session);
            online = [.. Online];
            await writer.WriteAsync();
            await PublishPresence(state.State.Groups);
        }

        return pushedAfter;
    }

    public async Task Disconnect(Session session)
    {
        if (Online.Remove(session))
        {
            online = [.. Online];
            await writer.WriteAsync();
            await PublishPresence(state.State.Groups);
        }
    }

    public Task<IReadOnlyList<Session>> Sessions() => Task.FromResult<IReadOnlyList<Session>>(online);

    public async Task JoinedGroup(string groupId)
    {
        if (state.State.Groups.Add(groupId))
        {
            await writer.WriteAsync();
        }

        if (Online.Count > 0)
        {
            await PublishPresence([groupId]);
        }
    }

    public async Task LeftGroup(string groupId)
    {
        if (state.State.Groups.Remove(groupId))
        {
            state.State.ReadCursors.Remove(Timeline.ForGroup(groupId).ToString());
            await writer.WriteAsync();
        }
    }

    private Task PersistSeqLimit(long limit)
    {
        state.State.SeqLimit = Math.Max(state.State.SeqLimit, limit);
        return writer.WriteAsync();
    }

    private Task PublishPresence(IEnumerable<string> groups)
    {
        var me = UserId;
        var snapshot = online;
        return Task.WhenAll(groups.Select(g => GrainFactory.GetGrainByKey<IGroupGrain>(g).UpdatePresence(me, snapshot)));
    }

    private long ReadCursor(string timeline) => state.State.ReadCursors.GetValueOrDefault(timeline);

    private static async Task<DirectAck> EarlierDirectAck(Task<SendAck> earlier) => new(await earlier, SenderCopyPublished: false);

    private static async Task<SendResult> AckOf(Task<SendAck> earlier)
    {
        try
        {
            return SendResult.Accepted(await earlier);
        }
        catch (Exception)
        {
            return SendResult.Refused(ChatErrorCode.Unavailable, "The first attempt of this message failed; resend it with the same clientMsgId.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timeline {Timeline} skips seq {Seq}: its direct message was refused, and a later seq was already taken")]
    private static partial void LogSeqSkipped(ILogger logger, string timeline, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Direct message from {From} to {To} could not be stored")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string from, string to);
}
