using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace ChatCluster.Streams;

/// <summary>
/// The one writer connection of a <see cref="SqliteLog"/> in a silo, committing in groups: a loop on
/// a thread of its own takes every write waiting (up to a bound), runs them in one transaction with prepared
/// statements, commits once, then completes their tasks. A commit costs about the same for one
/// row as for thousands, so concurrent publishers share it. Each transaction takes the write lock
/// first (<c>BEGIN IMMEDIATE</c>) and assigns offsets from the queue's current end in the file,
/// so another writer on the same file (another silo) never collides with it.
/// </summary>
internal sealed class SqliteLogWriter : IAsyncDisposable
{
    private readonly Channel<LogWrite> pending = Channel.CreateUnbounded<LogWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<int, long> ends = [];
    private readonly SqliteConnection connection;
    private readonly int maxWritesPerCommit;
    private readonly Action<int, LogRecord> committed;
    private readonly Action externalCommit;
    private readonly TimeSpan externalPollPeriod;
    private readonly SqliteWalCheckpointer checkpointer;
    private readonly SqliteTransactionStatements transactions;
    private readonly SqliteRowStatement insertRecord;
    private readonly SqliteRowStatement selectEnd;
    private readonly SqliteRowStatement selectFirst;
    private readonly SqliteRowStatement dataVersion;
    private readonly SqliteCommand upsertCheckpoint;
    private readonly SqliteCommand selectCheckpoint;
    private readonly SqliteCommand insertDeadLetter;
    private readonly SqliteCommand deleteRecords;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long commits;
    private long appends;
    private long knownDataVersion;

    /// <param name="connection">An open connection the writer owns from now on.</param>
    /// <param name="maxWritesPerCommit">The most writes one transaction takes.</param>
    /// <param name="committed">Called with each appended record once its transaction has committed (the tails, the known ends).</param>
    /// <param name="checkpointer">Checkpoints the file's WAL beside the writer (the connection's automatic checkpoint is off).</param>
    /// <param name="externalCommit">Called when the writer finds that another connection (another silo's writer) committed to the file.</param>
    /// <param name="externalPollPeriod">How often an idle writer looks for such commits.</param>
    public SqliteLogWriter(
        SqliteConnection connection, int maxWritesPerCommit, Action<int, LogRecord> committed, SqliteWalCheckpointer checkpointer, Action externalCommit, TimeSpan externalPollPeriod)
    {
        this.connection = connection;
        this.maxWritesPerCommit = maxWritesPerCommit;
        this.committed = committed;
        this.externalCommit = externalCommit;
        this.externalPollPeriod = externalPollPeriod;
        this.checkpointer = checkpointer;
        transactions = new SqliteTransactionStatements(connection, immediate: true);
        // Bound by position, without a SqliteCommand: the one statement run per record.
        insertRecord = new SqliteRowStatement(
            connection,
            """
            INSERT INTO log_records (queue_no, record_offset, stream_namespace, stream_key, payload, appended_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """);
        selectEnd = new SqliteRowStatement(connection, "SELECT coalesce(max(record_offset), 0) FROM log_records WHERE queue_no = ?1");
        dataVersion = new SqliteRowStatement(connection, "PRAGMA data_version");
        // Before any receiver reads the file (they open the log first): another writer's commit after this is one they are told of.
        knownDataVersion = dataVersion.ReadInt64();
        upsertCheckpoint = Prepare(
            """
            INSERT INTO log_checkpoints (reader, queue_no, record_offset) VALUES ($reader, $queue, $offset)
            ON CONFLICT DO UPDATE SET record_offset = max(record_offset, excluded.record_offset)
            """,
            ("$reader", SqliteType.Text), ("$queue", SqliteType.Integer), ("$offset", SqliteType.Integer));
        selectCheckpoint = Prepare(
            "SELECT coalesce(max(record_offset), 0) FROM log_checkpoints WHERE reader = $reader AND queue_no = $queue",
            ("$reader", SqliteType.Text), ("$queue", SqliteType.Integer));
        insertDeadLetter = Prepare(
            """
            INSERT INTO log_dead_letters (reader, queue_no, record_offset, stream_namespace, stream_key, payload, error, dead_at)
            VALUES ($reader, $queue, $offset, $namespace, $key, $payload, $error, $now)
            ON CONFLICT DO NOTHING
            """,
            ("$reader", SqliteType.Text), ("$queue", SqliteType.Integer), ("$offset", SqliteType.Integer), ("$namespace", SqliteType.Blob),
            ("$key", SqliteType.Blob), ("$payload", SqliteType.Blob), ("$error", SqliteType.Text), ("$now", SqliteType.Integer));
        selectFirst = new SqliteRowStatement(connection, "SELECT coalesce(min(record_offset), 0) FROM log_records WHERE queue_no = ?1");
        deleteRecords = Prepare(
            "DELETE FROM log_records WHERE queue_no = $queue AND record_offset <= $upTo",
            ("$queue", SqliteType.Integer), ("$upTo", SqliteType.Integer));
        // A thread of its own, not the thread pool's: after each wake-up a pool thread would first wait behind the grain
        // turns queued by then, and each commit's synchronous SQLite work would hold one of a small machine's few pool
        // threads. At 5,000 messages/s on two cores, commits over 5 ms fell from 20-88 to 5-10 in 17 s.
        var thread = new Thread(Run) { IsBackground = true, Name = "SQLite log writer" };
        thread.Start();
    }

    /// <summary>Transactions committed so far.</summary>
    public long Commits => Interlocked.Read(ref commits);

    /// <summary>Records appended so far.</summary>
    public long Appends => Interlocked.Read(ref appends);

    /// <summary>Queues a write, in call order; its task completes once its transaction committed (or failed, with the error).</summary>
    public Task<long> Enqueue(LogWrite write)
    {
        if (!pending.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(SqliteLog), "The SQLite log is closed; nothing more can be written.");
        }

        return write.Task;
    }

    /// <summary>Commits every write already queued, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        pending.Writer.TryComplete();
        await stopped.Task.ConfigureAwait(false);
        insertRecord.Dispose();
        selectEnd.Dispose();
        selectFirst.Dispose();
        dataVersion.Dispose();
        transactions.Dispose();
        foreach (var command in new[] { upsertCheckpoint, selectCheckpoint, insertDeadLetter, deleteRecords })
        {
            await command.DisposeAsync().ConfigureAwait(false);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    // The writer's thread: commits what is queued, until the channel is completed and drained.
    private void Run()
    {
        var batch = new List<LogWrite>();
        try
        {
            RunBatches(batch);
            stopped.TrySetResult();
        }
#pragma warning disable CA1031 // Nothing may escape a thread of its own (it would end the process); DisposeAsync rethrows it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            // No write is left waiting for ever: those taken and those still queued fail, later ones are refused.
            pending.Writer.TryComplete(ex);
            foreach (var write in batch)
            {
                write.TrySetException(ex);
            }

            while (pending.Reader.TryRead(out var write))
            {
                write.TrySetException(ex);
            }

            stopped.TrySetException(ex);
        }
    }

    private void RunBatches(List<LogWrite> batch)
    {
        while (WaitForWrites())
        {
            while (batch.Count < maxWritesPerCommit && pending.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                Commit(batch);
                StreamMetrics.SqliteLogCommitted(Stopwatch.GetElapsedTime(started), trimmed: batch.Exists(write => write.Kind == LogWriteKind.Trim));
                Interlocked.Increment(ref commits);
            }
#pragma warning disable CA1031 // Any failure of the transaction is the callers' failure: it goes to their tasks.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var write in batch)
                {
                    write.TrySetException(ex);
                }

                batch.Clear();
                continue;
            }
            finally
            {
                checkpointer.AfterCommit(connection);
            }

            foreach (var write in batch)
            {
                if (write.Kind == LogWriteKind.Append)
                {
                    // With the events as published, the tail's readers need no payload, and the tail, which a GC copies while
                    // it holds the record, keeps it out.
                    committed(write.Queue, new LogRecord(write.Offset, write.Namespace, write.Key, write.Body is null ? write.Payload : []) { Body = write.Body });
                }

                write.TrySetResult(write.Offset);
            }

            batch.Clear();
        }
    }

    // Blocks the writer's thread until a write is queued; false once the channel is completed and empty. While none comes,
    // it looks for other writers' commits every externalPollPeriod.
    private bool WaitForWrites()
    {
        var ready = pending.Reader.WaitToReadAsync();
        if (ready.IsCompletedSuccessfully)
        {
            return ready.Result;
        }

        var waiting = ready.AsTask();
        while (!waiting.Wait(externalPollPeriod))
        {
            try
            {
                ObserveDataVersion();
            }
            catch (SqliteException)
            {
                // Not known: the receivers look in the file, where a lasting failure shows, and the ends are read again.
                ends.Clear();
                externalCommit();
            }
        }

        return waiting.GetAwaiter().GetResult();
    }

    // SQLite's data_version on this connection changes only when another connection commits to the file. The queues' ends
    // this writer knows hold until then; the receivers read the file for those records once told (see SqliteLog.ExternalCommits).
    private void ObserveDataVersion()
    {
        var version = dataVersion.ReadInt64();
        if (version != knownDataVersion)
        {
            ends.Clear();
            externalCommit();
            knownDataVersion = version;
        }
    }

    private void Commit(List<LogWrite> batch)
    {
        transactions.Begin();
        try
        {
            // Under the write lock just taken, so that no other writer's commit comes between this look and the appends.
            ObserveDataVersion();
            var appended = Write(batch);
            transactions.Commit();
            Interlocked.Add(ref appends, appended);
        }
        catch
        {
            // The ends moved for appends that did not commit.
            ends.Clear();
            transactions.RollbackIfOpen();
            throw;
        }
    }

    // Runs the batch's writes inside the open transaction; returns the records appended.
    private int Write(List<LogWrite> batch)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var appended = 0;
        foreach (var write in batch)
        {
            switch (write.Kind)
            {
                case LogWriteKind.Append:
                    write.Offset = NextOffset(write.Queue);
                    insertRecord.Number(1, write.Queue);
                    insertRecord.Number(2, write.Offset);
                    insertRecord.Bytes(3, write.Namespace);
                    insertRecord.Bytes(4, write.Key);
                    insertRecord.Bytes(5, write.Payload);
                    insertRecord.Number(6, now);
                    insertRecord.Execute();
                    appended++;
                    break;
                case LogWriteKind.Checkpoint:
                    Run(upsertCheckpoint, write.Reader, write.Queue, write.Offset);
                    break;
                case LogWriteKind.DeadLetter:
                    Run(insertDeadLetter, write.Reader, write.Queue, write.Offset, write.Namespace, write.Key, write.Payload, write.Error, now);
                    break;
                case LogWriteKind.Trim:
                    write.Offset = Trim(write.Queue, write.Readers, write.MaxRecords);
                    break;
            }
        }

        return appended;
    }

    // The next offset of a queue: its end in the file, read under the write lock when the writer does not know it.
    private long NextOffset(int queue)
    {
        if (!ends.TryGetValue(queue, out var end))
        {
            end = End(queue);
        }

        ends[queue] = ++end;
        return end;
    }

    private long End(int queue)
    {
        selectEnd.Number(1, queue);
        return selectEnd.ReadInt64();
    }

    // Deletes the oldest records every reader checkpointed past, at most maxRecords of them, but never a queue's last record
    // (its end), so offsets are not reused.
    private long Trim(int queue, IReadOnlyCollection<string> readers, int maxRecords)
    {
        if (readers.Count == 0)
        {
            return 0;
        }

        var upTo = long.MaxValue;
        foreach (var reader in readers)
        {
            selectCheckpoint.Parameters[0].Value = reader;
            selectCheckpoint.Parameters[1].Value = queue;
            upTo = Math.Min(upTo, (long)selectCheckpoint.ExecuteScalar()!);
        }

        upTo = Math.Min(upTo, ends.TryGetValue(queue, out var end) ? end - 1 : End(queue) - 1);
        if (upTo <= 0)
        {
            return 0;
        }

        // Offsets run on from the queue's first record, so this bound leaves at most maxRecords to delete.
        selectFirst.Number(1, queue);
        upTo = Math.Min(upTo, selectFirst.ReadInt64() + maxRecords - 1);
        deleteRecords.Parameters[0].Value = queue;
        deleteRecords.Parameters[1].Value = upTo;
        return deleteRecords.ExecuteNonQuery();
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
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
