using Microsoft.Data.Sqlite;

namespace ChatCluster.Runtime.Storage.Sqlite;

/// <summary>
/// Grain state in a SQLite file: the embedded default, durable across restarts. Writes go through
/// one connection, one at a time (SQLite has a single writer anyway, and this avoids busy retries);
/// reads use pooled connections and run beside them (WAL).
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage, IDisposable
{
    private readonly string connectionString;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private SqliteConnection? writer;

    /// <param name="databasePath">The database file; its folder is created if missing.</param>
    public SqliteGrainStorage(string databasePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = Path.GetFullPath(databasePath);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    public string DatabasePath { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            var connection = await GetWriterAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = SchemaScript.Load("ChatCluster.Runtime.Storage.Sqlite.schema.sql");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            writeLock.Release();
        }
    }

    public async Task<StoredGrainState?> ReadAsync(GrainStateKey key, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
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

    public void Dispose()
    {
        writer?.Dispose();
        writeLock.Dispose();
    }

    private async Task<string> ReplaceAsync(GrainStateKey key, string? json, string? expectedEtag, CancellationToken cancellationToken)
    {
        var expected = Etag.Parse(expectedEtag);
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            var connection = await GetWriterAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = expected is null
                ? """
                  INSERT INTO grain_state (grain_type, grain_key, state_name, payload, version, modified_at)
                  VALUES ($type, $key, $name, $payload, 1, $now)
                  ON CONFLICT DO NOTHING
                  RETURNING version
                  """
                : """
                  UPDATE grain_state SET payload = $payload, version = version + 1, modified_at = $now
                  WHERE grain_type = $type AND grain_key = $key AND state_name = $name AND version = $expected
                  RETURNING version
                  """;
            AddKey(command, key);
            command.Parameters.AddWithValue("$payload", (object?)json ?? DBNull.Value);
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$expected", expected ?? 0);
            if (await command.ExecuteScalarAsync(cancellationToken) is long version)
            {
                return Etag.Format(version);
            }
        }
        finally
        {
            writeLock.Release();
        }

        var stored = await ReadAsync(key, cancellationToken);
        throw new InconsistentStateException(key, expectedEtag, stored?.Etag);
    }

    private async Task<SqliteConnection> GetWriterAsync(CancellationToken cancellationToken)
    {
        if (writer is null)
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            writer = connection;
        }

        return writer;
    }

    private static void AddKey(SqliteCommand command, GrainStateKey key)
    {
        command.Parameters.AddWithValue("$type", key.GrainType);
        command.Parameters.AddWithValue("$key", key.GrainKey);
        command.Parameters.AddWithValue("$name", key.StateName);
    }
}
