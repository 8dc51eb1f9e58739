using Npgsql;
using NpgsqlTypes;

namespace ChatCluster.Runtime.Storage.Postgres;

/// <summary>
/// Grain state in PostgreSQL (cluster mode). One row per (grain type, key, state name). A read or write that fails
/// because PostgreSQL is down, restarting or unreachable throws <see cref="StorageUnavailableException"/> (the caller
/// may retry; clients are told <c>unavailable</c>).
/// </summary>
public sealed class PostgresGrainStorage(NpgsqlDataSource dataSource) : IGrainStorage
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Silos that start together must not race on CREATE TABLE (it is not atomic with IF NOT EXISTS).
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7419320511)", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var schema = new NpgsqlCommand(EmbeddedSql.Load(typeof(PostgresGrainStorage).Assembly, "ChatCluster.Runtime.Storage.Postgres.schema.sql"), connection, transaction))
        {
            await schema.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<StoredGrainState?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadStoredAsync(key, cancellationToken);
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            throw Unavailable("read", key, ex);
        }
    }

    private async Task<StoredGrainState?> ReadStoredAsync(GrainStateKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT payload::text, version FROM grain_state WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3");
        AddKey(command, key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new StoredGrainState(reader.IsDBNull(0) ? null : reader.GetString(0), Etag.Format(reader.GetInt64(1)));
    }

    public Task<string> WriteAsync(GrainStateKey key, string json, string? expectedEtag, CancellationToken cancellationToken) =>
        ReplaceAsync(key, json, expectedEtag, cancellationToken);

    public Task<string> ClearAsync(GrainStateKey key, string? expectedEtag, CancellationToken cancellationToken) =>
        ReplaceAsync(key, null, expectedEtag, cancellationToken);

    // The connection string holds a password: name only the server and database.
    public override string ToString()
    {
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"PostgreSQL at {settings.Host}:{settings.Port}/{settings.Database}";
    }

    private async Task<string> ReplaceAsync(GrainStateKey key, string? json, string? expectedEtag, CancellationToken cancellationToken)
    {
        var expected = Etag.Parse(expectedEtag);
        await using var command = dataSource.CreateCommand(expected is null
            ? """
              INSERT INTO grain_state (grain_type, grain_key, state_name, payload, version)
              VALUES ($1, $2, $3, $4, 1)
              ON CONFLICT DO NOTHING
              RETURNING version
              """
            : """
              UPDATE grain_state SET payload = $4, version = version + 1, modified_at = now()
              WHERE grain_type = $1 AND grain_key = $2 AND state_name = $3 AND version = $5
              RETURNING version
              """);
        AddKey(command, key);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)json ?? DBNull.Value });
        if (expected is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expected.Value });
        }

        try
        {
            if (await command.ExecuteScalarAsync(cancellationToken) is long version)
            {
                return Etag.Format(version);
            }
        }
        catch (NpgsqlException ex) when (ex.IsTransient)
        {
            throw Unavailable("write", key, ex);
        }

        var stored = await ReadAsync(key, cancellationToken);
        throw new InconsistentStateException(key, expectedEtag, stored?.Etag);
    }

    private StorageUnavailableException Unavailable(string operation, GrainStateKey key, NpgsqlException ex) =>
        new($"{this} could not {operation} state {key} now: {ex.Message}", ex);

    private static void AddKey(NpgsqlCommand command, GrainStateKey key)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.GrainType });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.GrainKey });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.StateName });
    }
}
