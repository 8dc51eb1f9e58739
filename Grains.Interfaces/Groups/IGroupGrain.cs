using Orleans.Concurrency;

namespace ChatCluster.Grains;

/// <summary>
/// One group (key: the group id): its members and owner, and its <c>group:ID</c> timeline with
/// system messages for membership changes. Only members may send, sync or list members.
/// </summary>
[Alias("chat.IGroupGrain")]
public interface IGroupGrain : IGrainWithStringKey
{
    /// <summary>Creates the group; <paramref name="owner"/> is always a member. Conflict if it exists.</summary>
    Task<OperationResult> Create(string owner, IReadOnlyList<string> members);

    /// <summary>Adds <paramref name="user"/> to an existing group.</summary>
    Task<OperationResult> Join(string user);

    /// <summary>Removes <paramref name="user"/> from the group.</summary>
    Task<OperationResult> Leave(string user);

    /// <summary>The members and owner, if <paramref name="caller"/> is a member.</summary>
    Task<MembersResult> Members(string caller);

    /// <summary>Sends a message from <paramref name="from"/> (a member) to the group; acked once durable.</summary>
    Task<SendResult> Send(string from, string clientMsgId, string body, Session? origin);

    /// <summary>Messages after <paramref name="afterSeq"/>, if <paramref name="caller"/> is a member.</summary>
    Task<SyncResult> Sync(string caller, long afterSeq, int limit);

    /// <summary>The group's last seq, or null if <paramref name="caller"/> is not a member.</summary>
    [AlwaysInterleave]
    Task<long?> LastSeq(string caller);

    /// <summary>The connected devices of the group's members, for push.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<Session>> OnlineSessions();

    /// <summary>Sets the connected devices of a member (empty: offline). Called by the member's user grain.</summary>
    Task UpdatePresence(string user, IReadOnlyList<Session> sessions);
}
