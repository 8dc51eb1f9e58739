using System.Text.Json;
using ChatCluster.Grains.State;
using ChatCluster.Grains.Timelines;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Streams;

namespace ChatCluster.Grains.Groups;

/// <summary>
/// A group: members and owner, the <c>group:ID</c> timeline (read fan-out: one copy, every member
/// reads it) with system messages for membership changes, and the online sessions of its members
/// for push. Reentrant: sends from many members proceed while earlier ones are being made durable.
/// </summary>
[Reentrant]
[GrainType("group")]
// Random, not Orleans' default (resource-optimized, which put 88 % of 1,000 grains on one of three silos
// here): chat grains cost about the same each, so an even count is an even load.
[RandomPlacement]
public sealed partial class GroupGrain(
    [PersistentState("group", ChatStorage.Name)] IPersistentState<GroupState> state,
    TimelineServices services) : Grain, IGroupGrain
{
    private readonly Dictionary<string, Session[]> presence = [];
    private readonly ILogger logger = services.Loggers.CreateLogger<GroupGrain>();
    private HashSet<string> members = [];
    private Session[]? onlineSessions;
    private CoalescingStateWriter<GroupState> writer = null!;
    private TimelineLog log = null!;

    private string GroupId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        writer = new CoalescingStateWriter<GroupState>(state);
        members = [.. state.State.Members];
        var name = Timeline.ForGroup(GroupId).ToString();
        var stream = this.GetStreamProvider(TimelineStreams.Provider).GetStream<TimelineEvent>(TimelineStreams.Namespace, name);
        log = new TimelineLog(name, stream, services, () => null, DeactivateOnIdle);
        await log.LoadAsync(state.State.SeqLimit, PersistSeqLimit, cancellationToken);
        await RebuildPresence();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (state.State.Exists && state.State.SeqLimit != log.LastAllocated)
        {
            state.State.SeqLimit = log.LastAllocated;
            await writer.WriteAsync();
        }
    }

    public async Task<OperationResult> Create(string owner, IReadOnlyList<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (state.State.Exists)
        {
            return OperationResult.Refused(ChatErrorCode.Conflict, $"Group {GroupId} already exists.");
        }

        if (members.Prepend(owner).FirstOrDefault(m => !ChatIds.IsValid(m)) is { } bad)
        {
            return OperationResult.Refused(ChatErrorCode.BadRequest, $"'{bad}' is not a user id: 1-64 characters [A-Za-z0-9_.-].");
        }

        var all = new List<string> { owner };
        all.AddRange(members.Where(m => m != owner).Distinct());
        if (all.Count > services.Options.MaxGroupMembers)
        {
            return OperationResult.Refused(ChatErrorCode.BadRequest, $"A group has at most {services.Options.MaxGroupMembers} members.");
        }

        state.State.Exists = true;
        state.State.Owner = owner;
        state.State.Members = all;
        this.members = [.. all];
        try
        {
            await writer.WriteAsync();
            // Members learn of the group first, so that those online (their presence arrives here
            // meanwhile) are pushed the system messages.
            await Task.WhenAll(all.Select(m => GrainFactory.GetGrainByKey<IUserGrain>(m).JoinedGroup(GroupId)));
            // Taken in order in this turn, so the created message comes first; made durable together.
            var events = new List<Task<ChatMessage>> { AppendSystem("created", owner) };
            events.AddRange(all.Skip(1).Select(m => AppendSystem("joined", m)));
            await Task.WhenAll(events);
            return OperationResult.Ok;
        }
        catch (Exception ex)
        {
            LogMembershipFailed(logger, ex, GroupId);
            return OperationResult.Refused(ChatErrorCode.Unavailable, "The group could not be stored now; try again.");
        }
    }

    public async Task<OperationResult> Join(string user)
    {
        if (!state.State.Exists)
        {
            return OperationResult.Refused(ChatErrorCode.NotFound, $"There is no group {GroupId}.");
        }

        if (!members.Add(user))
        {
            return OperationResult.Ok;
        }

        if (members.Count > services.Options.MaxGroupMembers)
        {
            members.Remove(user);
            return OperationResult.Refused(ChatErrorCode.Forbidden, $"Group {GroupId} is full ({services.Options.MaxGroupMembers} members).");
        }

        state.State.Members.Add(user);
        return await ChangeMembership("joined", user, g => g.JoinedGroup(GroupId), tellUserFirst: true);
    }

    public async Task<OperationResult> Leave(string user)
    {
        if (!state.State.Exists)
        {
            return OperationResult.Refused(ChatErrorCode.NotFound, $"There is no group {GroupId}.");
        }

        if (!members.Remove(user))
        {
            return OperationResult.Refused(ChatErrorCode.Forbidden, $"You are not a member of group {GroupId}.");
        }

        state.State.Members.Remove(user);
        if (presence.Remove(user))
        {
            onlineSessions = null;
        }

        return await ChangeMembership("left", user, g => g.LeftGroup(GroupId), tellUserFirst: false);
    }

    public Task<MembersResult> Members(string caller) =>
        Task.FromResult(Refusal(caller) is { } refusal
            ? MembersResult.Refused(refusal.Code, refusal.Message)
            : new MembersResult(state.State.Members.ToArray(), state.State.Owner, null));

    public async Task<SendResult> Send(string from, string clientMsgId, string body, Session? origin)
    {
        if (Refusal(from) is { } refusal)
        {
            return new SendResult(null, refusal);
        }

        if (SendValidation.Check(clientMsgId, body) is { } invalid)
        {
            return invalid;
        }

        try
        {
            var ack = log.Sent.TryGet(from, clientMsgId, out var earlier)
                ? await earlier
                : (await AppendUserMessage(from, clientMsgId, body, origin)).ToAck();
            return SendResult.Accepted(ack);
        }
        catch (Exception ex)
        {
            LogSendFailed(logger, ex, from, GroupId);
            return SendResult.Refused(ChatErrorCode.Unavailable, "The message could not be stored now; resend it with the same clientMsgId.");
        }
    }

    public Task<SyncResult> Sync(string caller, long afterSeq, int limit)
    {
        if (Refusal(caller) is { } refusal)
        {
            return Task.FromResult(new SyncResult([], 0, false, refusal));
        }

        return SendValidation.CheckPage(afterSeq, limit) is { } invalid
            ? Task.FromResult(invalid)
            : log.SyncAsync(afterSeq, limit, CancellationToken.None);
    }

    public Task<long?> LastSeq(string caller) => Task.FromResult(members.Contains(caller) ? log.LastSeq : (long?)null);

    public Task<IReadOnlyList<Session>> OnlineSessions()
    {
        onlineSessions ??= presence.Values.SelectMany(s => s).ToArray();
        return Task.FromResult<IReadOnlyList<Session>>(onlineSessions);
    }

    public Task UpdatePresence(string user, IReadOnlyList<Session> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (sessions.Count > 0 && members.Contains(user))
        {
            presence[user] = [.. sessions];
        }
        else
        {
            presence.Remove(user);
        }

        onlineSessions = null;
        KeepWhileAnyoneIsOnline();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Presence lives in memory, so an activation (after a move, a crash or collection) asks each member's
    /// grain for its sessions, which the user grains keep in storage.
    /// </summary>
    private async Task RebuildPresence()
    {
        if (members.Count == 0)
        {
            return;
        }

        var names = members.ToArray();
        var online = await Task.WhenAll(names.Select(m => GrainFactory.GetGrainByKey<IUserGrain>(m).Sessions()));
        for (var i = 0; i < names.Length; i++)
        {
            if (online[i].Count > 0)
            {
                presence[names[i]] = [.. online[i]];
            }
        }

        onlineSessions = null;
        KeepWhileAnyoneIsOnline();
    }

    // Presence lives in memory: keep the grain while any member is online rather than rebuild it.
    private void KeepWhileAnyoneIsOnline() => DelayDeactivation(presence.Count > 0 ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);

    private ChatError? Refusal(string caller) =>
        !state.State.Exists ? new ChatError(ChatErrorCode.NotFound, $"There is no group {GroupId}.")
        : !members.Contains(caller) ? new ChatError(ChatErrorCode.Forbidden, $"You are not a member of group {GroupId}.")
        : null;

    // A joining user is told first, so that their devices register here and are pushed their own
    // "joined"; a leaving user keeps the group in their list until "left" is stored.
    private async Task<OperationResult> ChangeMembership(string change, string user, Func<IUserGrain, Task> tellUser, bool tellUserFirst)
    {
        try
        {
            await writer.WriteAsync();
            if (tellUserFirst)
            {
                await tellUser(GrainFactory.GetGrainByKey<IUserGrain>(user));
                await AppendSystem(change, user);
            }
            else
            {
                await AppendSystem(change, user);
                await tellUser(GrainFactory.GetGrainByKey<IUserGrain>(user));
            }

            return OperationResult.Ok;
        }
        catch (Exception ex)
        {
            LogMembershipFailed(logger, ex, GroupId);
            return OperationResult.Refused(ChatErrorCode.Unavailable, "The change could not be stored now; try again.");
        }
    }

    private Task<ChatMessage> AppendUserMessage(string from, string clientMsgId, string body, Session? origin)
    {
        var timeline = log.Name;
        var ts = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var msgId = MessageIds.New(ts);
        return log.AppendAsync(
            seq => new ChatMessage(timeline, seq, msgId, from, timeline, clientMsgId, MessageKind.User, body, ts), origin, log.Sent.Reserve(from, clientMsgId));
    }

    private Task<ChatMessage> AppendSystem(string change, string user)
    {
        var timeline = log.Name;
        var ts = services.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var msgId = MessageIds.New(ts);
        var body = JsonSerializer.Serialize(new SystemEvent(change, user));
        return log.AppendAsync(seq => new ChatMessage(timeline, seq, msgId, user, timeline, "", MessageKind.System, body, ts), null);
    }

    private Task PersistSeqLimit(long limit)
    {
        state.State.SeqLimit = Math.Max(state.State.SeqLimit, limit);
        return writer.WriteAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message from {From} to group {Group} could not be stored")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, string from, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Membership change of group {Group} could not be stored")]
    private static partial void LogMembershipFailed(ILogger logger, Exception exception, string group);
}
