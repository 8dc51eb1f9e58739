using Orleans.Concurrency;

namespace ChatCluster.Grains;

/// <summary>
/// One user (key: the user id): their <c>user:ID</c> timeline of direct messages, their read
/// cursors, the groups they belong to and their online sessions. Callers pass the authenticated
/// user as the key; a grain never takes the sender from a message field.
/// </summary>
[Alias("chat.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Sends a direct message from this user to <paramref name="recipient"/>: appended to both users'
    /// timelines with one msgId; acked with this user's seq once both are durable. A repeated
    /// <paramref name="clientMsgId"/> returns the original ack.
    /// </summary>
    Task<SendResult> SendDirect(string recipient, string clientMsgId, string body, Session? origin);

    /// <summary>
    /// Appends a direct message that <paramref name="from"/> sent to this user, together with the sender's copy
    /// (<paramref name="senderCopy"/>, already numbered in the sender's timeline) in one record of the log, and returns
    /// this copy's ack. A resend gets the first attempt's ack and publishes nothing (<see cref="DirectAck.SenderCopyPublished"/>
    /// false). Called by the sender's grain only.
    /// </summary>
    /// <exception cref="StorageUnavailableException">Nothing was published: this timeline could not take a sequence number now.</exception>
    Task<DirectAck> AcceptDirect(string from, string msgId, string clientMsgId, string body, long ts, TimelineEvent senderCopy);

    /// <summary>Messages of this user's timeline after <paramref name="afterSeq"/>.</summary>
    Task<SyncResult> Sync(long afterSeq, int limit);

    /// <summary>This user's timeline and every group they belong to, with last seq and read cursor.</summary>
    Task<IReadOnlyList<TimelineInfo>> Timelines();

    /// <summary>Moves the read cursor of <paramref name="timeline"/> forward to <paramref name="seq"/> (never backwards).</summary>
    Task<OperationResult> MarkRead(string timeline, long seq);

    /// <summary>A device of this user connected.</summary>
    /// <returns>
    /// The last seq the user's timeline had handed out when the session joined: every later message of the timeline is
    /// pushed to the session (or, for its own sends, acked to it), none before.
    /// </returns>
    Task<long> Connect(Session session);

    /// <summary>A device of this user disconnected.</summary>
    Task Disconnect(Session session);

    /// <summary>This user's connected devices.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<Session>> Sessions();

    /// <summary>Records that this user is now a member of the group. Called by the group's grain.</summary>
    Task JoinedGroup(string groupId);

    /// <summary>Records that this user left the group. Called by the group's grain.</summary>
    Task LeftGroup(string groupId);
}
