using ChatCluster.Streams;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatCluster.Grains.Persistence.Sqlite;

/// <summary>
/// Messages in a SQLite file: the embedded default. Writes go through one connection, and reads run beside them (see
/// <see cref="SqliteDatabase"/>); a batch is one transaction, shared with the batches that waited for the writer
/// meanwhile, so it costs at most one WAL commit however many rows it has. Awaits use ConfigureAwait(false): a grain may call the store,
/// and the store's own continuations need not queue behind the grain's turn.
/// </summary>
public sealed class SqliteMessageStore : IMessageStore, IDisposable
{
    private const string InsertSql = $"""
        INSERT INTO messages ({MessageRows.Columns})
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        ON CONFLICT DO NOTHING
        """;

    // synchronous = NORMAL: in WAL mode it syncs at checkpoints, not at every commit. A commit
    // survives the process being killed (embedded mode's promise); only an OS crash or a power
    // loss can take back the last commits.
    // A batch spreads over many timelines, so it dirties a page per row and the same pages
    // again in the next batches: a 64 MiB page cache and a checkpoint every ~40 MiB of WAL
    // (SqliteWalCheckpointer.DefaultPages, instead of SQLite's 4 MiB) write each hot page back once per many batches.
    // Measured with `bench message-store --store sqlite`: about 1.6 times the inserts per second.
    private const string WriterPragmas = "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; ";

    private readonly SqliteDatabase database;

    /// <param name="databasePath">The database file; its folder is created if missing.</param>
    /// <param name="logger">Where failed WAL checkpoints are reported; none if null.</param>
    public SqliteMessageStore(string databasePath, ILogger<SqliteMessageStore>? logger = null)
    {
        database = new SqliteDatabase(databasePath, WriterPragmas, logger ?? (ILogger)NullLogger.Instance);
    }

    public string DatabasePath => database.Path;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        database.ApplySchemaAsync(EmbeddedSql.Load(typeof(SqliteMessageStore).Assembly, "ChatCluster.Grains.Persistence.Sqlite.messages.sql"), cancellationToken);

    public async Task InsertAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        MessageBatch.Validate(messages);
        if (messages.Count == 0)
        {
            return;
        }

        await database.WriteTransactionAsync(
            connection =>
            {
                // Compiled once per batch, then only the values change from row to row.
                using var insert = new SqliteRowStatement(connection, InsertSql);
                foreach (var message in messages)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    insert.Text(1, message.Timeline);
                    insert.Number(2, message.Seq);
                    insert.Text(3, message.MsgId);
                    insert.Text(4, message.From);
                    insert.Text(5, message.To);
                    insert.Text(6, message.ClientMsgId);
                    insert.Number(7, (int)message.Kind);
                    insert.Text(8, message.Body);
                    insert.Number(9, message.Ts);
                    insert.Execute();
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ChatMessage>> ReadAsync(string timeline, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await QueryAsync(
            timeline,
            $"SELECT {MessageRows.Columns} FROM messages WHERE timeline = $timeline AND seq > $after ORDER BY seq LIMIT $limit",
            cancellationToken,
            ("$after", afterSeq),
            ("$limit", limit)).ConfigureAwait(false);
    }

    public async Task<long> GetLastSeqAsync(string timeline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        // MAX over the primary key's prefix reads one index entry.
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE timeline = $timeline";
        command.Parameters.AddWithValue("$timeline", timeline);
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result as long? ?? throw new InvalidDataException($"The highest seq of timeline '{timeline}' is not an integer ({result}).");
    }

    public async Task<ChatMessage?> FindSentAsync(string timeline, string from, string clientMsgId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(clientMsgId);
        // No index serves this (every insert would pay for one): it walks the timeline's rows, which only a resend older
        // than its grain's de-duplication window asks for.
        var found = await QueryAsync(
            timeline,
            $"SELECT {MessageRows.Columns} FROM messages WHERE timeline = $timeline AND from_user = $from AND client_msg_id = $client AND kind = 0 ORDER BY seq LIMIT 1",
            cancellationToken,
            ("$from", from),
            ("$client", clientMsgId)).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    public override string ToString() => $"SQLite messages at {DatabasePath}";

    // The messages of one timeline ($timeline) that a query selects, on a reader connection.
    private async Task<List<ChatMessage>> QueryAsync(string timeline, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$timeline", timeline);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await MessageRows.ReadAllAsync(reader, timeline, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => database.Dispose();
}
