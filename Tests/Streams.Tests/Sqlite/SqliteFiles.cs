using Microsoft.Data.Sqlite;
using Orleans.Runtime;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>Direct access to a log file, beside the silos' writers, as another process would have.</summary>
public static class SqliteFiles
{
    /// <summary>Appends a record with the given payload at the queue's end, in a transaction of its own.</summary>
    public static async Task AppendRawAsync(string databasePath, int queue, StreamId streamId, byte[] payload)
    {
        await using var connection = await OpenAsync(databasePath);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO log_records (queue_no, record_offset, stream_namespace, stream_key, payload, appended_at)
            SELECT $queue, coalesce(max(record_offset), 0) + 1, $namespace, $key, $payload, 0 FROM log_records WHERE queue_no = $queue
            """;
        command.Parameters.AddWithValue("$queue", queue);
        command.Parameters.AddWithValue("$namespace", streamId.Namespace.ToArray());
        command.Parameters.AddWithValue("$key", streamId.Key.ToArray());
        command.Parameters.AddWithValue("$payload", payload);
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    public static async Task<long> CountAsync(string databasePath, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(databasePath);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string databasePath, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(databasePath);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<SqliteConnection> OpenAsync(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
