using Npgsql;

namespace ChatCluster.Grains.Persistence.Postgres;

/// <summary>
/// Messages in PostgreSQL (cluster mode). A batch is one statement in one round trip: the rows go
/// as nine column arrays and <c>unnest</c> turns them back into rows server-side. For batches of 500
/// that beat binary COPY into a temporary table and INSERT … SELECT from it (three round trips and a
/// table created per batch) in every one of six interleaved runs, by about a fifth
/// (<c>bench message-store --store postgres</c>). Awaits use ConfigureAwait(false): a grain may call
/// the store, and the store's own continuations need not queue behind the grain's turn.
/// </summary>
/// <remarks>A read or an insert that fails because PostgreSQL is down or unreachable throws <see cref="StorageUnavailableException"/>.</remarks>
public sealed class PostgresMessageStore(NpgsqlDataSource dataSource) : IMessageStore
{
    // Held only while the schema is applied; differs from the grain-state schema's key so the two never wait on each other.
    private const long SchemaLockKey = 7419320512;

    private const string InsertSql = $"""
        INSERT INTO messages ({MessageRows.Columns})
        SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::smallint[], $8::text[], $9::bigint[])
        """;

    // ON CONFLICT DO NOTHING first looks each row up in both unique indexes, then inserts it into them: twice the index
    // work of a plain INSERT, whose insertion checks uniqueness on its way. A third of PostgreSQL's CPU in cluster-dm, for
    // a case that arises only when a batch is delivered again; so the plain statement goes first, this one after it fails.
    private const string InsertSkippingStoredSql = $"{InsertSql} ON CONFLICT DO NOTHING";

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Silos that start together must not race on CREATE TABLE / CREATE INDEX (IF NOT EXISTS is not atomic).
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaLockKey})", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var schema = new NpgsqlCommand(EmbeddedSql.Load(typeof(PostgresMessageStore).Assembly, "ChatCluster.Grains.Persistence.Postgres.messages.sql"), connection, transaction))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task InsertAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        MessageBatch.Validate(messages);
        if (messages.Count == 0)
        {
            return;
        }

        var count = messages.Count;
        var timelines = new string[count];
        var seqs = new long[count];
        var msgIds = new string[count];
        var froms = new string[count];
        var tos = new string[count];
        var clientMsgIds = new string[count];
        var kinds = new short[count];
        var bodies = new string[count];
        var timestamps = new long[count];
        for (var i = 0; i < count; i++)
        {
            var message = messages[i];
            timelines[i] = message.Timeline;
            seqs[i] = message.Seq;
            msgIds[i] = message.MsgId;
            froms[i] = message.From;
            tos[i] = message.To;
            clientMsgIds[i] = message.ClientMsgId;
            kinds[i] = (short)message.Kind;
            bodies[i] = message.Body;
            timestamps[i] = message.Ts;
        }

        // One statement, autocommitted: the batch is stored whole or not at all.
        await using var command = dataSource.CreateCommand(InsertSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = timelines });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = seqs });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = msgIds });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = froms });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = tos });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = clientMsgIds });
        command.Parameters.Add(new NpgsqlParameter<short[]> { TypedValue = kinds });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = bodies });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = timestamps });
        try
        {
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Some of the batch is stored already (a redelivery after a crash, or a second copy of a client's
                // message): the same rows again, skipping those.
                command.CommandText = InsertSkippingStoredSql;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            // Down, restarting or unreachable: nothing is wrong with the messages, so the caller retries rather than gives up.
            throw Unavailable($"store {count} messages", ex);
        }
    }

    public async Task<IReadOnlyList<ChatMessage>> ReadAsync(string timeline, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return await QueryAsync(
            timeline,
            $"SELECT {MessageRows.Columns} FROM messages WHERE timeline = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            "read timeline",
            cancellationToken,
            new NpgsqlParameter<long> { TypedValue = afterSeq },
            new NpgsqlParameter<int> { TypedValue = limit }).ConfigureAwait(false);
    }

    public async Task<long> GetLastSeqAsync(string timeline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        // MAX over the primary key's prefix reads one index entry.
        await using var command = dataSource.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE timeline = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = timeline });
        object? result;
        try
        {
            result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            throw Unavailable($"read the last seq of timeline {timeline}", ex);
        }

        return result as long? ?? throw new InvalidDataException($"The highest seq of timeline '{timeline}' is not an integer ({result}).");
    }

    public async Task<ChatMessage?> FindSentAsync(string timeline, string from, string clientMsgId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(clientMsgId);
        // Served by the unique index on (timeline, from_user, client_msg_id) WHERE kind = 0.
        var found = await QueryAsync(
            timeline,
            $"SELECT {MessageRows.Columns} FROM messages WHERE timeline = $1 AND from_user = $2 AND client_msg_id = $3 AND kind = 0 ORDER BY seq LIMIT 1",
            "look up a sent message in timeline",
            cancellationToken,
            new NpgsqlParameter<string> { TypedValue = from },
            new NpgsqlParameter<string> { TypedValue = clientMsgId }).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    // The messages of one timeline ($1) that a query selects; what it does (for the error) is named with the timeline.
    private async Task<List<ChatMessage>> QueryAsync(
        string timeline, string sql, string operation, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = timeline });
        command.Parameters.AddRange(parameters);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await MessageRows.ReadAllAsync(reader, timeline, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            throw Unavailable($"{operation} {timeline}", ex);
        }
    }

    /// <summary>
    /// PostgreSQL is down, restarting or unreachable: nothing is wrong with the request, so its caller retries. The
    /// driver's exception goes into the message, not attached: Orleans cannot carry it across a grain call.
    /// </summary>
    private StorageUnavailableException Unavailable(string operation, NpgsqlException exception) =>
        new($"{this} could not {operation} now: {exception.GetType().Name}: {exception.Message}");

    // The connection string holds a password: name only the server and database.
    public override string ToString()
    {
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"PostgreSQL messages at {settings.Host}:{settings.Port}/{settings.Database}";
    }
}
