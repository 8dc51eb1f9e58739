using Microsoft.Data.Sqlite;

namespace ChatCluster.Streams;

/// <summary>A receiver's own connection to the log file and its prepared query of one queue's records after an offset.</summary>
internal sealed class SqliteRecordReader(string connectionString, int queue) : IDisposable
{
    private SqliteConnection? connection;
    private SqliteCommand? select;

    public List<LogRecord> ReadAfter(long afterOffset, int maxCount)
    {
        var command = select ??= Prepare();
        command.Parameters[1].Value = afterOffset;
        command.Parameters[2].Value = maxCount;
        var records = new List<LogRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(new LogRecord(
                reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3)));
        }

        return records;
    }

    public void Dispose()
    {
        select?.Dispose();
        connection?.Dispose();
        select = null;
        connection = null;
    }

    private SqliteCommand Prepare()
    {
        connection ??= new SqliteConnection(connectionString);
        connection.Open();
        var command = connection.CreateCommand();
        command.CommandText = """
            SELECT record_offset, stream_namespace, stream_key, payload FROM log_records
            WHERE queue_no = $queue AND record_offset > $after
            ORDER BY record_offset LIMIT $limit
            """;
        command.Parameters.AddWithValue("$queue", queue);
        command.Parameters.Add("$after", SqliteType.Integer);
        command.Parameters.Add("$limit", SqliteType.Integer);
        command.Prepare();
        return command;
    }
}
