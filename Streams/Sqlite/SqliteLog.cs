using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// The SQLite message log of one silo over one file: its writer, the in-memory tail of each queue,
/// and the positions (<see cref="IStreamLog"/>). The write-only provider appends through it, the
/// reader providers' receivers read and checkpoint through it.
/// </summary>
/// <remarks>
/// Durability: WAL with <c>synchronous = NORMAL</c> (the old provider's choice). A commit reaches the
/// operating system before the append is acked, so an acked append survives the process being
/// killed (<c>kill -9</c>); only a power cut or kernel crash may lose the last commits, as the WAL
/// is fsynced at checkpoints only. <c>FULL</c> would fsync every commit, costing a disk flush per group.
/// </remarks>
internal sealed partial class SqliteLog : IMessageLog, IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly SqliteLogOptions options;
    private readonly ILogger logger;
    private readonly QueueTail[] tails;
    private readonly long[] knownEnds;
    private readonly ConcurrentDictionary<string, bool> readers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource closing = new();
    private Task? opening;
    private Task? trimming;
    private SqliteLogWriter? writer;
    private SqliteWalCheckpointer? checkpointer;
    private bool disposed;
    private long externalCommits;

    public SqliteLog(SqliteLogOptions options, IEnumerable<string> readerProviders, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        DatabasePath = Path.GetFullPath(options.DatabasePath);
        Queues = options.Queues;
        QueueMapper = LogQueueAdapterFactory.CreateQueueMapper(Queues);
        tails = Enumerable.Range(0, Queues).Select(_ => new QueueTail(options.TailCapacity)).ToArray();
        knownEnds = new long[Queues];
        AddReaders(readerProviders);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    public string DatabasePath { get; }

    public int Queues { get; }

    /// <summary>The mapper of every provider over this log; the write-only provider's decides where a stream goes.</summary>
    public HashRingBasedStreamQueueMapper QueueMapper { get; }

    public TimeSpan ExternalPollPeriod => options.ExternalPollPeriod;

    /// <summary>
    /// How many times the writer found that another connection (another silo's writer on the file) had committed; the
    /// receivers look in the file for records they did not get through the tail only when this has changed.
    /// </summary>
    public long ExternalCommits => Interlocked.Read(ref externalCommits);

    internal string ConnectionString { get; }

    /// <summary>Transactions the writer committed (for tests: appends share them).</summary>
    internal long Commits => writer?.Commits ?? 0;

    /// <summary>Records the writer appended.</summary>
    internal long Appends => writer?.Appends ?? 0;

    /// <summary>Makes the reader providers' checkpoints bound the trim.</summary>
    public void AddReaders(IEnumerable<string> readerProviders)
    {
        foreach (var reader in readerProviders)
        {
            readers[reader] = true;
        }
    }

    public int QueueOf(StreamId streamId) => (int)QueueMapper.GetQueueForStream(streamId).GetNumericId();

    /// <summary>Creates the tables if missing, checks the queue count, starts the writer; once, however often called.</summary>
    public Task OpenAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            opening ??= Task.Run(() => OpenCoreAsync(closing.Token), CancellationToken.None);
            return opening.WaitAsync(cancellationToken);
        }
    }

    Task IMessageLog.AppendAsync(int queue, StreamId streamId, byte[] payload, LogRecordBody body) => AppendAsync(queue, streamId, payload, body);

    public IQueueAdapterReceiver CreateReceiver(LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory) =>
        new SqliteQueueReceiver(this, reader, queue, codec, lag, loggerFactory.CreateLogger<SqliteQueueReceiver>());

    /// <summary>
    /// Appends one record to <paramref name="queue"/>. The write is queued before this returns, so
    /// records of one caller are in call order; the task completes with the record's offset once it
    /// is committed. <paramref name="body"/>, when given, is what <paramref name="payload"/> decodes to: readers in this
    /// process take it from the tail instead of decoding the payload, once each.
    /// </summary>
    public Task<long> AppendAsync(int queue, StreamId streamId, byte[] payload, LogRecordBody? body = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queue, Queues);
        return Writer.Enqueue(LogWrite.Append(queue, streamId.Namespace.ToArray(), streamId.Key.ToArray(), payload, body));
    }

    public Task CheckpointAsync(string reader, int queue, long offset) => Writer.Enqueue(LogWrite.Checkpoint(reader, queue, offset));

    public Task DeadLetterAsync(string reader, int queue, LogRecord record, string error) =>
        Writer.Enqueue(LogWrite.DeadLetter(reader, queue, record, error));

    /// <summary>
    /// Deletes the records of every queue that all readers have checkpointed past; returns how many. One queue at a time,
    /// in transactions of at most <see cref="SqliteLogOptions.MaxRecordsPerTrim"/> records, so that no append waits
    /// behind a large delete.
    /// </summary>
    public async Task<long> TrimAsync()
    {
        var names = readers.Keys.ToArray();
        long total = 0;
        for (var queue = 0; queue < Queues; queue++)
        {
            long deleted;
            do
            {
                deleted = await Writer.Enqueue(LogWrite.Trim(queue, names, options.MaxRecordsPerTrim)).ConfigureAwait(false);
                total += deleted;
            }
            while (deleted >= options.MaxRecordsPerTrim);
        }

        return total;
    }

    public QueueTail TailOf(int queue) => tails[queue];

    /// <summary>The highest offset of <paramref name="queue"/> this silo knows committed (its own appends, and what its readers saw).</summary>
    public long KnownEnd(int queue) => Volatile.Read(ref knownEnds[queue]);

    public void ObserveEnd(int queue, long offset)
    {
        var known = Volatile.Read(ref knownEnds[queue]);
        while (offset > known)
        {
            var seen = Interlocked.CompareExchange(ref knownEnds[queue], offset, known);
            if (seen == known)
            {
                return;
            }

            known = seen;
        }
    }

    public async Task<long> GetEndAsync(int queue, CancellationToken ct)
    {
        CheckQueue(queue);
        return await QueryAsync("SELECT coalesce(max(record_offset), 0) FROM log_records WHERE queue_no = $queue", null, queue, ct).ConfigureAwait(false);
    }

    public async Task<long> GetCheckpointAsync(string readerProvider, int queue, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(readerProvider);
        CheckQueue(queue);
        return await QueryAsync(
            "SELECT coalesce(max(record_offset), 0) FROM log_checkpoints WHERE reader = $reader AND queue_no = $queue", readerProvider, queue, ct).ConfigureAwait(false);
    }

    public override string ToString() => $"SQLite log {DatabasePath}, {Queues} queues";

    /// <summary>Commits every write already queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        SqliteLogWriter? closingWriter;
        Task? open;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            open = opening;
        }

        await closing.CancelAsync().ConfigureAwait(false);
        if (open is not null)
        {
            await open.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (trimming is not null)
        {
            await trimming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (gate)
        {
            closingWriter = writer;
            writer = null;
        }

        if (closingWriter is not null)
        {
            await closingWriter.DisposeAsync().ConfigureAwait(false);
        }

        // After the writer, whose last commits may still ask for a pass.
        checkpointer?.Dispose();
        closing.Dispose();
    }

    private SqliteLogWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return writer ?? throw new InvalidOperationException($"The {this} is not open yet: its stream providers open it as the silo starts.");
        }
    }

    private async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, SqliteLogSchema.Text, cancellationToken).ConfigureAwait(false);
            await CheckQueueCountAsync(connection, cancellationToken).ConfigureAwait(false);

            // Per connection: commits reach the OS at once (survive a process crash) and are fsynced at WAL checkpoints;
            // those run beside this writer, every ~40 MiB of log (see SqliteWalCheckpointer).
            await ExecuteAsync(connection, "PRAGMA synchronous = NORMAL; " + SqliteWalCheckpointer.WriterPragmas, cancellationToken).ConfigureAwait(false);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT queue_no, max(record_offset) FROM log_records GROUP BY queue_no";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var queue = reader.GetInt32(0);
                    if (queue >= 0 && queue < Queues)
                    {
                        ObserveEnd(queue, reader.GetInt64(1));
                    }
                }
            }

            var walCheckpointer = new SqliteWalCheckpointer(DatabasePath, SqliteWalCheckpointer.DefaultPages, logger);
            walCheckpointer.Start();
            lock (gate)
            {
                if (disposed)
                {
                    walCheckpointer.Dispose();
                    throw new ObjectDisposedException(ToString());
                }

                checkpointer = walCheckpointer;
                writer = new SqliteLogWriter(
                    connection, options.MaxWritesPerCommit, OnCommitted, walCheckpointer, () => Interlocked.Increment(ref externalCommits), options.ExternalPollPeriod);
                connection = null;
                if (options.TrimPeriod > TimeSpan.Zero)
                {
                    trimming = Task.Run(() => TrimPeriodicallyAsync(closing.Token), CancellationToken.None);
                }
            }

            LogOpened(DatabasePath, Queues);
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private void OnCommitted(int queue, LogRecord record)
    {
        tails[queue].Append(record);
        ObserveEnd(queue, record.Offset);
    }

    private Task TrimPeriodicallyAsync(CancellationToken cancellationToken) => PeriodicTrim.RunAsync(
        options.TrimPeriod, TrimAsync, removed => LogTrimmed(removed, DatabasePath), ex => LogTrimFailed(ex, DatabasePath), cancellationToken);

    private async Task CheckQueueCountAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO log_settings (name, value) VALUES ('queues', $queues) ON CONFLICT DO NOTHING;
            SELECT value FROM log_settings WHERE name = 'queues';
            """;
        command.Parameters.AddWithValue("$queues", Queues);
        var stored = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (stored != Queues)
        {
            throw new OrleansConfigurationException(
                $"The SQLite log {DatabasePath} was created with {stored} queues, but {nameof(SqliteLogOptions)}.{nameof(SqliteLogOptions.Queues)} is {Queues}. "
                + $"Streams hash to queues, so the queue count of a log cannot change: configure {stored}.");
        }
    }

    private async Task<long> QueryAsync(string sql, string? reader, int queue, CancellationToken ct)
    {
        await OpenAsync(ct).ConfigureAwait(false);
        var connection = new SqliteConnection(ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                command.Parameters.AddWithValue("$queue", queue);
                if (reader is not null)
                {
                    command.Parameters.AddWithValue("$reader", reader);
                }

                return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void CheckQueue(int queue)
    {
        if (queue < 0 || queue >= Queues)
        {
            throw new ArgumentOutOfRangeException(nameof(queue), queue, $"The {this} has queues 0 to {Queues - 1}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the SQLite log {DatabasePath} ({Queues} queues)")]
    private partial void LogOpened(string databasePath, int queues);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Deleted} records every reader had checkpointed past from {DatabasePath}")]
    private partial void LogTrimmed(long deleted, string databasePath);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming the SQLite log {DatabasePath} failed; retrying at the next period")]
    private partial void LogTrimFailed(Exception exception, string databasePath);
}
