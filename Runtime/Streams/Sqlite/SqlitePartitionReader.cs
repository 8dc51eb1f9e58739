using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ChatCluster.Runtime.Streams.Sqlite;

/// <summary>
/// Reads one partition of a <see cref="SqliteStreamProvider"/> for one handler group: from the
/// partition's in-memory tail while it keeps up, else with a connection and a prepared query of its
/// own. Woken by the writer of this process; polls every <see cref="PollInterval"/> for what another
/// process wrote.
/// </summary>
internal sealed class SqlitePartitionReader(SqliteStreamProvider provider, CheckpointKey key) : IPartitionReader
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly PartitionSignal appended = provider.Signals.Of(key.Namespace, key.Partition);
    private readonly PartitionTail tail = provider.TailOf(key.Namespace, key.Partition);
    private SqliteConnection? connection;
    private SqliteCommand? select;
    private long? readOffset;

    public async Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var started = Stopwatch.GetTimestamp();
        var command = await GetCommandAsync(cancellationToken);
        readOffset ??= (await SqliteStreamProvider.ReadCheckpointAsync(connection!, key, cancellationToken)).Low;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = appended.NextAsync();
            var events = tail.TryRead(readOffset.Value, maxCount) ?? Read(command, readOffset.Value, maxCount);
            if (events.Count > 0)
            {
                readOffset = events[^1].Position.Low;
                return events;
            }

            var remaining = wait == Timeout.InfiniteTimeSpan ? wait : wait - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero && remaining != Timeout.InfiniteTimeSpan)
            {
                return events;
            }

            await PartitionSignal.WaitAsync(next, remaining == Timeout.InfiniteTimeSpan || remaining > PollInterval ? PollInterval : remaining, cancellationToken);
        }
    }

    public Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken) =>
        provider.CheckpointAsync(key, position, cancellationToken);

    // The next read starts from the stored checkpoint again.
    public void Rewind() => readOffset = null;

    public async ValueTask DisposeAsync()
    {
        if (select is not null)
        {
            await select.DisposeAsync();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    private List<StoredStreamEvent> Read(SqliteCommand command, long afterOffset, int maxCount)
    {
        command.Parameters[2].Value = afterOffset;
        command.Parameters[3].Value = maxCount;
        var events = new List<StoredStreamEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var stream = new StreamId(key.Namespace, reader.GetString(1));
            events.Add(new StoredStreamEvent(stream, new StreamPosition(0, reader.GetInt64(0)), reader.GetFieldValue<byte[]>(2)));
        }

        return events;
    }

    private async Task<SqliteCommand> GetCommandAsync(CancellationToken cancellationToken)
    {
        if (select is not null)
        {
            return select;
        }

        connection ??= new SqliteConnection(provider.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var command = connection.CreateCommand();
        command.CommandText = """
            SELECT event_offset, stream_key, payload FROM stream_events
            WHERE namespace = $namespace AND partition_no = $partition AND event_offset > $after
            ORDER BY event_offset LIMIT $limit
            """;
        command.Parameters.AddWithValue("$namespace", key.Namespace);
        command.Parameters.AddWithValue("$partition", key.Partition);
        command.Parameters.Add("$after", SqliteType.Integer);
        command.Parameters.Add("$limit", SqliteType.Integer);
        command.Prepare();
        select = command;
        return command;
    }
}
