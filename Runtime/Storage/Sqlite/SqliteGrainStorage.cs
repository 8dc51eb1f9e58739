using Microsoft.Data.Sqlite;

namespace ChatCluster.Runtime.Storage.Sqlite;

/// <summary>
/// Grain state in a SQLite file: the embedded default, durable across restarts. Writes go through
/// one connection, one at a time, and reads run beside them (see <see cref="SqliteDatabase"/>).
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage, IDisposable
{
    private const string InsertSql = """
        INSERT INTO grain_state (grain_type, grain_key, state_name, payload, version, modified_at)
        VALUES ($type, $key, $name, $payload, 1, $now)
        ON CONFLICT DO NOTHING
        RETURNING version
        """;

    private const string UpdateSql = """
        UPDATE grain_state SET payload = $payload, version = version + 1, modified_at = $now
        WHERE grain_type = $type AND grain_key = $key AND state_name = $name AND version = $expected
        RETURNING version
        """;

    private readonly SqliteDatabase database;

    /// <param name="databasePath">The database file; its folder is created if missing.</param>
    public SqliteGrainStorage(string databasePath)
    {
        database = new SqliteDatabase(databasePath);
    }

    public string DatabasePath => database.Path;

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        database.ApplySchemaAsync(EmbeddedSql.Load(typeof(SqliteGrainStorage).Assembly, "ChatCluster.Runtime.Storage.Sqlite.schema.sql"), cancellationToken);

    public async Task<StoredGrainState?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReaderAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload, version FROM grain_state WHERE grain_type = $type AND grain_key = $key AND state_name = $name";
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

    public override string ToString() => $"SQLite at {DatabasePath}";

    public void Dispose() => database.Dispose();

    private async Task<string> ReplaceAsync(GrainStateKey key, string? json, string? expectedEtag, CancellationToken cancellationToken)
    {
        var expected = Etag.Parse(expectedEtag);
        var version = await database.WriteAsync(
            connection =>
            {
                using var command = connection.CreateCommand();
                // No row back means the etag did not match (or, for an insert, the row already exists).
                command.CommandText = expected is null ? InsertSql : UpdateSql;
                AddKey(command, key);
                command.Parameters.AddWithValue("$payload", (object?)json ?? DBNull.Value);
                command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$expected", expected ?? 0);
                return command.ExecuteScalar() as long?;
            },
            cancellationToken);
        if (version is { } stored)
        {
            return Etag.Format(stored);
        }

        var current = await ReadAsync(key, cancellationToken);
        throw new InconsistentStateException(key, expectedEtag, current?.Etag);
    }

    private static void AddKey(SqliteCommand command, GrainStateKey key)
    {
        command.Parameters.AddWithValue("$type", key.GrainType);
        command.Parameters.AddWithValue("$key", key.GrainKey);
        command.Parameters.AddWithValue("$name", key.StateName);
    }
}
