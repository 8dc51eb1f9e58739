namespace ChatCluster.Grains.Persistence;

/// <summary>
/// Where messages rest, keyed (timeline, seq): the seam between the chat and its database
/// (SQLite embedded, PostgreSQL in a cluster). Written by the persistence handler, read by sync.
/// </summary>
public interface IMessageStore
{
    /// <summary>Creates the schema if it is missing; safe to call from several processes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores a batch in one round trip. Idempotent: a message whose (timeline, seq) is already stored
    /// is skipped (ON CONFLICT DO NOTHING), so redelivered batches change nothing.
    /// </summary>
    Task InsertAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> messages of the timeline with seq &gt; <paramref name="afterSeq"/>, ascending.</summary>
    Task<IReadOnlyList<ChatMessage>> ReadAsync(string timeline, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The highest stored seq of the timeline; 0 if none.</summary>
    Task<long> GetLastSeqAsync(string timeline, CancellationToken cancellationToken);

    /// <summary>
    /// The user message of the timeline that <paramref name="from"/> sent with <paramref name="clientMsgId"/>, or null if none
    /// is stored: what a resend gets back once it is older than its grain remembers. The lowest seq if there are several.
    /// </summary>
    Task<ChatMessage?> FindSentAsync(string timeline, string from, string clientMsgId, CancellationToken cancellationToken);
}
