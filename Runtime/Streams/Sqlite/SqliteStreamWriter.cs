using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace ChatCluster.Runtime.Streams.Sqlite;

/// <summary>
/// The only writer of a stream database, committing in groups: one loop takes every write waiting,
/// runs them all in one transaction with prepared statements, commits once, then completes their
/// tasks and wakes the readers of the partitions it appended to. A commit costs about the same for
/// one row or thousands, so many concurrent publishers share it. It also assigns the offsets, from
/// the last offset per partition kept in memory (read from the table on first use).
/// </summary>
internal sealed class SqliteStreamWriter : IAsyncDisposable
{
    // Bounds one transaction, so a flood of writes still commits (and answers) every few milliseconds.
    private const int MaxWritesPerCommit = 8192;

    private readonly Channel<PendingWrite> queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<(string Namespace, int Partition), long> lastOffsets = [];
    private readonly SqliteConnection connection;
    private readonly PartitionSignals signals;
    private readonly Func<string, int, PartitionTail> tails;
    private readonly SqliteCommand insertEvent;
    private readonly SqliteCommand upsertCheckpoint;
    private readonly SqliteCommand selectLastOffset;
    private readonly Task loop;

    /// <param name="connection">An open connection this writer owns from now on.</param>
    /// <param name="signals">The provider's wake-ups of readers in this process.</param>
    /// <param name="tails">The provider's in-memory tail of each partition, which gets every committed event.</param>
    public SqliteStreamWriter(SqliteConnection connection, PartitionSignals signals, Func<string, int, PartitionTail> tails)
    {
        this.connection = connection;
        this.signals = signals;
        this.tails = tails;
        insertEvent = Prepare(
            """
            INSERT INTO stream_events (namespace, partition_no, event_offset, stream_key, payload, appended_at)
            VALUES ($namespace, $partition, $offset, $key, $payload, $now)
            """,
            ("$namespace", SqliteType.Text), ("$partition", SqliteType.Integer), ("$offset", SqliteType.Integer),
            ("$key", SqliteType.Text), ("$payload", SqliteType.Blob), ("$now", SqliteType.Integer));
        upsertCheckpoint = Prepare(
            """
            INSERT INTO stream_checkpoints (handler_group, namespace, partition_no, position)
            VALUES ($group, $namespace, $partition, $position)
            ON CONFLICT DO UPDATE SET position = max(position, excluded.position)
            """,
            ("$group", SqliteType.Text), ("$namespace", SqliteType.Text), ("$partition", SqliteType.Integer), ("$position", SqliteType.Integer));
        selectLastOffset = Prepare(
            "SELECT coalesce(max(event_offset), 0) FROM stream_events WHERE namespace = $namespace AND partition_no = $partition",
            ("$namespace", SqliteType.Text), ("$partition", SqliteType.Integer));
        loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a write; its task completes once it is committed (or failed, with the transaction's error).</summary>
    public Task<StreamPosition> Enqueue(PendingWrite write)
    {
        if (!queue.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(SqliteStreamProvider), "The SQLite stream provider is disposed; nothing more can be written.");
        }

        return write.Task;
    }

    /// <summary>Commits everything already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
        insertEvent.Dispose();
        upsertCheckpoint.Dispose();
        selectLastOffset.Dispose();
        await connection.DisposeAsync();
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingWrite>();
        var appendedTo = new HashSet<(string Namespace, int Partition)>();
        while (await queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxWritesPerCommit && queue.Reader.TryRead(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.TrySetCanceled(write.CancellationToken);
                }
                else
                {
                    batch.Add(write);
                }
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                Commit(batch, appendedTo);
                foreach (var write in batch)
                {
                    if (write.Group is null)
                    {
                        tails(write.Namespace, write.Partition).Append(
                            new StoredStreamEvent(new StreamId(write.Namespace, write.Key!), write.Position, write.Payload));
                    }

                    write.TrySetResult(write.Position);
                }
            }
            catch (Exception ex)
            {
                // Rolled back: the offsets handed out in this batch are free again; re-read them on next use.
                foreach (var partition in appendedTo)
                {
                    lastOffsets.Remove(partition);
                }

                foreach (var write in batch)
                {
                    write.TrySetException(ex);
                }
            }

            foreach (var (streamNamespace, partition) in appendedTo)
            {
                signals.Of(streamNamespace, partition).Notify();
            }

            batch.Clear();
            appendedTo.Clear();
        }
    }

    private void Commit(List<PendingWrite> batch, HashSet<(string Namespace, int Partition)> appendedTo)
    {
        using var transaction = connection.BeginTransaction();
        insertEvent.Transaction = transaction;
        upsertCheckpoint.Transaction = transaction;
        selectLastOffset.Transaction = transaction;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var write in batch)
        {
            if (write.Group is null)
            {
                var partition = (write.Namespace, write.Partition);
                appendedTo.Add(partition);
                var offset = NextOffset(partition);
                var parameters = insertEvent.Parameters;
                parameters[0].Value = write.Namespace;
                parameters[1].Value = write.Partition;
                parameters[2].Value = offset;
                parameters[3].Value = write.Key;
                parameters[4].Value = write.Payload;
                parameters[5].Value = now;
                insertEvent.ExecuteNonQuery();
                write.Position = new StreamPosition(0, offset);
            }
            else
            {
                var parameters = upsertCheckpoint.Parameters;
                parameters[0].Value = write.Group;
                parameters[1].Value = write.Namespace;
                parameters[2].Value = write.Partition;
                parameters[3].Value = write.Position.Low;
                upsertCheckpoint.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private long NextOffset((string Namespace, int Partition) partition)
    {
        if (!lastOffsets.TryGetValue(partition, out var last))
        {
            selectLastOffset.Parameters[0].Value = partition.Namespace;
            selectLastOffset.Parameters[1].Value = partition.Partition;
            last = (long)selectLastOffset.ExecuteScalar()!;
        }

        lastOffsets[partition] = ++last;
        return last;
    }

    private SqliteCommand Prepare(string sql, params (string Name, SqliteType Type)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        return command;
    }
}
