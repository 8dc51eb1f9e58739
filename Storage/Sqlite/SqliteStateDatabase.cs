using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Storage.Sqlite;

/// <summary>The row key of one grain state: (grain type, grain key, state name).</summary>
internal readonly record struct StateKey(string GrainType, string GrainKey, string StateName)
{
    public override string ToString() => $"{GrainType}/{GrainKey} state '{StateName}'";
}

/// <summary>A stored row: the payload (null once cleared) and its version (the etag).</summary>
internal sealed record StoredState(byte[]? Payload, long Version);

/// <summary>
/// What became of a change: applied, with the row's new version (null when a clear found no row), or
/// refused because the expected version did not match, with the version stored now (null: no row).
/// </summary>
internal readonly record struct ChangeOutcome(bool Applied, long? Version);

/// <summary>
/// One SQLite file of grain state. All writes go through a single connection on a dedicated thread
/// with group commit: the thread takes every change that is pending, applies them in one transaction,
/// commits once, and only then completes each caller. Reads use pooled connections beside it (WAL).
/// With <c>synchronous=NORMAL</c> in WAL mode a commit has reached the WAL file (the operating system)
/// before any caller is completed, so an acknowledged write survives the process being killed
/// (kill -9); it is fsynced at checkpoints, not per commit, so a power loss may lose the latest commits.
/// </summary>
internal sealed partial class SqliteStateDatabase : IDisposable
{
    /// <summary>Changes applied in one transaction at most (bounds a batch's latency).</summary>
    internal const int MaxBatch = 1024;

    private const string ReadSql =
        "SELECT payload, version FROM grain_state WHERE grain_type = $type AND grain_key = $key AND state_name = $name";

    private const string VersionSql =
        "SELECT version FROM grain_state WHERE grain_type = $type AND grain_key = $key AND state_name = $name";

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

    private readonly string writerConnectionString;
    private readonly string readerConnectionString;
    private readonly ILogger logger;
    private readonly Channel<StateChange> queue = Channel.CreateUnbounded<StateChange>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly TaskCompletionSource writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteConnection? writer;
    private WriterCommands? commands;
    private Thread? writerThread;
    private bool disposed;

    static SqliteStateDatabase() => SQLitePCL.Batteries_V2.Init();

    public SqliteStateDatabase(string databasePath, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        Path = System.IO.Path.GetFullPath(databasePath);
        this.logger = logger;
        writerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        readerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
        }.ToString();
    }

    /// <summary>The database file (full path).</summary>
    public string Path { get; }

    /// <summary>Creates the folder if missing, opens the writer, applies the schema and starts the writer thread.</summary>
    public void Open()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (writer is not null)
        {
            return;
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var connection = new SqliteConnection(writerConnectionString);
        try
        {
            connection.Open();
            using (var schema = connection.CreateCommand())
            {
                schema.CommandText = EmbeddedSql.Load(EmbeddedSql.SqliteSchema);
                schema.ExecuteNonQuery();
            }

            using (var pragmas = connection.CreateCommand())
            {
                // Per connection: WAL plus NORMAL survives a killed process (see the class remarks).
                pragmas.CommandText = "PRAGMA synchronous = NORMAL;";
                pragmas.ExecuteNonQuery();
            }

            commands = new WriterCommands(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }

        writer = connection;
        writerThread = new Thread(RunWriter)
        {
            IsBackground = true,
            Name = $"SQLite state writer ({System.IO.Path.GetFileName(Path)})",
        };
        writerThread.Start();
        LogOpened(logger, Path);
    }

    /// <summary>Queues a change for the writer; completes once it is committed (or refused on its version).</summary>
    public Task<ChangeOutcome> SubmitAsync(StateKey key, byte[]? payload, bool clear, long? expectedVersion)
    {
        var change = new StateChange(key, payload, clear, expectedVersion);
        if (writer is null || !queue.Writer.TryWrite(change))
        {
            throw new InvalidOperationException($"{this} is not open for writes.");
        }

        return change.Completion.Task;
    }

    /// <summary>Reads a row on a pooled read connection (WAL: beside the writer, sees every committed change).</summary>
    public StoredState? Read(StateKey key)
    {
        using var connection = new SqliteConnection(readerConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = ReadSql;
        command.Parameters.AddWithValue("$type", key.GrainType);
        command.Parameters.AddWithValue("$key", key.GrainKey);
        command.Parameters.AddWithValue("$name", key.StateName);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        return new StoredState(reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0), reader.GetInt64(1));
    }

    /// <summary>Lets the writer finish every queued change, then closes the file.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        if (writerThread is not null)
        {
            await writerStopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Dispose();
    }

    public override string ToString() => $"SQLite grain state at {Path}";

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        queue.Writer.TryComplete();

        // The writer thread finishes what is queued and closes its connection itself.
        if (writerThread is { } thread && !thread.Join(TimeSpan.FromSeconds(30)))
        {
            LogWriterStillRunning(logger, Path);
        }
        else
        {
            commands?.Dispose();
            commands = null;
            writer?.Dispose();
            writer = null;
        }

        using var pooled = new SqliteConnection(readerConnectionString);
        SqliteConnection.ClearPool(pooled);
    }

    private void RunWriter()
    {
        var batch = new List<StateChange>(MaxBatch);
        try
        {
            while (WaitForChanges())
            {
                while (batch.Count < MaxBatch && queue.Reader.TryRead(out var change))
                {
                    batch.Add(change);
                }

                ApplyBatch(batch);
                batch.Clear();
            }
        }
        catch (Exception exception)
        {
            // Unexpected (a bug or a broken connection): fail what is in hand and everything queued, refuse the rest.
            LogWriterFailed(logger, exception, Path);
            queue.Writer.TryComplete(exception);
            foreach (var change in batch)
            {
                change.Completion.TrySetException(exception);
            }

            while (queue.Reader.TryRead(out var change))
            {
                change.Completion.TrySetException(exception);
            }
        }
        finally
        {
            commands?.Dispose();
            commands = null;
            writer?.Dispose();
            writer = null;
            writerStopped.TrySetResult();
        }
    }

    private bool WaitForChanges()
    {
        var wait = queue.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void ApplyBatch(List<StateChange> batch)
    {
        var outcomes = new ChangeOutcome[batch.Count];
        try
        {
            using var transaction = writer!.BeginTransaction();
            commands!.Use(transaction);
            for (var i = 0; i < batch.Count; i++)
            {
                outcomes[i] = commands.Apply(batch[i]);
            }

            transaction.Commit();
        }
        catch (SqliteException exception)
        {
            // The transaction rolled back. Apply the changes one by one, so that one bad change fails alone.
            LogBatchFailed(logger, exception, Path, batch.Count);
            foreach (var change in batch)
            {
                ApplyAlone(change);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(outcomes[i]);
        }
    }

    private void ApplyAlone(StateChange change)
    {
        try
        {
            using var transaction = writer!.BeginTransaction();
            commands!.Use(transaction);
            var outcome = commands.Apply(change);
            transaction.Commit();
            change.Completion.TrySetResult(outcome);
        }
        catch (SqliteException exception)
        {
            change.Completion.TrySetException(exception);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain state opened at {Path} (WAL, synchronous=NORMAL, single writer with group commit)")]
    private static partial void LogOpened(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite grain state at {Path}: a batch of {Count} changes failed; applying them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string path, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite grain state at {Path}: the writer did not finish its queue within 30 s of disposal")]
    private static partial void LogWriterStillRunning(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "SQLite grain state at {Path}: the writer stopped; further writes fail")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception, string path);

    private sealed class StateChange(StateKey key, byte[]? payload, bool clear, long? expectedVersion)
    {
        public StateKey Key { get; } = key;

        public byte[]? Payload { get; } = payload;

        public bool Clear { get; } = clear;

        public long? ExpectedVersion { get; } = expectedVersion;

        public TaskCompletionSource<ChangeOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>The writer's statements, prepared once and reused for every change.</summary>
    private sealed class WriterCommands : IDisposable
    {
        private readonly SqliteCommand insert;
        private readonly SqliteCommand update;
        private readonly SqliteCommand version;

        public WriterCommands(SqliteConnection connection)
        {
            insert = Create(connection, InsertSql, withPayload: true, withExpected: false);
            update = Create(connection, UpdateSql, withPayload: true, withExpected: true);
            version = Create(connection, VersionSql, withPayload: false, withExpected: false);
        }

        public void Use(SqliteTransaction transaction)
        {
            insert.Transaction = transaction;
            update.Transaction = transaction;
            version.Transaction = transaction;
        }

        /// <summary>
        /// A write with no expected version inserts (refused if the row exists); one with a version updates that
        /// version only. A clear is an update to a null payload; a clear with no expected version succeeds only
        /// if there is no row.
        /// </summary>
        public ChangeOutcome Apply(StateChange change)
        {
            if (change.ExpectedVersion is { } expected)
            {
                SetKey(update, change.Key);
                update.Parameters["$payload"].Value = (object?)change.Payload ?? DBNull.Value;
                update.Parameters["$now"].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                update.Parameters["$expected"].Value = expected;
                return update.ExecuteScalar() is long updated ? new ChangeOutcome(true, updated) : Refused(change.Key);
            }

            if (change.Clear)
            {
                var stored = StoredVersion(change.Key);
                return stored is null ? new ChangeOutcome(true, null) : new ChangeOutcome(false, stored);
            }

            SetKey(insert, change.Key);
            insert.Parameters["$payload"].Value = (object?)change.Payload ?? DBNull.Value;
            insert.Parameters["$now"].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            return insert.ExecuteScalar() is long inserted ? new ChangeOutcome(true, inserted) : Refused(change.Key);
        }

        public void Dispose()
        {
            insert.Dispose();
            update.Dispose();
            version.Dispose();
        }

        private ChangeOutcome Refused(StateKey key) => new(false, StoredVersion(key));

        private long? StoredVersion(StateKey key)
        {
            SetKey(version, key);
            return version.ExecuteScalar() as long?;
        }

        private static void SetKey(SqliteCommand command, StateKey key)
        {
            command.Parameters["$type"].Value = key.GrainType;
            command.Parameters["$key"].Value = key.GrainKey;
            command.Parameters["$name"].Value = key.StateName;
        }

        private static SqliteCommand Create(SqliteConnection connection, string sql, bool withPayload, bool withExpected)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.Add("$type", SqliteType.Text);
            command.Parameters.Add("$key", SqliteType.Text);
            command.Parameters.Add("$name", SqliteType.Text);
            if (withPayload)
            {
                command.Parameters.Add("$payload", SqliteType.Blob);
                command.Parameters.Add("$now", SqliteType.Integer);
            }

            if (withExpected)
            {
                command.Parameters.Add("$expected", SqliteType.Integer);
            }

            return command;
        }
    }
}
