using ChatCluster.Streams;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Persistence.Sqlite;

/// <summary>
/// A SQLite file shared by a store's writes and reads. Writes go through one connection, one at a
/// time (SQLite has a single writer anyway, and this avoids busy retries); reads use pooled
/// connections and run beside it (WAL, which the schema is expected to turn on). The WAL is checkpointed beside the
/// writer (<see cref="SqliteWalCheckpointer"/>), not inside its writes. Awaits use ConfigureAwait(false): callers resume
/// on their own context whatever this class does.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string connectionString;
    private readonly string? writerPragmas;
    private readonly ILogger logger;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly List<GroupedWrite> waiting = [];
    private SqliteConnection? writer;
    private SqliteTransactionStatements? transactions;
    private SqliteWalCheckpointer? checkpointer;

    /// <param name="databasePath">The database file; its folder is created by <see cref="ApplySchemaAsync"/> if missing.</param>
    /// <param name="writerPragmas">
    /// PRAGMA statements run once on the writer connection when it opens (PRAGMAs such as
    /// <c>synchronous</c> or <c>cache_size</c> hold per connection); null for none.
    /// </param>
    /// <param name="logger">Where failed checkpoints are reported.</param>
    public SqliteDatabase(string databasePath, string? writerPragmas, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        Path = System.IO.Path.GetFullPath(databasePath);
        this.writerPragmas = writerPragmas;
        this.logger = logger;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    /// <summary>The database file (full path).</summary>
    public string Path { get; }

    /// <summary>Creates the file's folder if missing, then runs <paramref name="sql"/> on the writer (idempotent scripts only).</summary>
    public async Task ApplySchemaAsync(string sql, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        await WriteAsync(
            connection =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="write"/> on the writer connection, alone. It is synchronous on purpose:
    /// SQLite's async methods only wrap synchronous calls, so plain calls cost less.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await GetWriterAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return write(connection);
            }
            finally
            {
                checkpointer!.AfterCommit(connection);
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <inheritdoc cref="WriteAsync{T}" />
    public Task WriteAsync(Action<SqliteConnection> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        return WriteAsync(
            connection =>
            {
                write(connection);
                return true;
            },
            cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="write"/> on the writer connection inside a transaction: done once it committed, failed (and
    /// rolled back) if it throws. Writes that wait for the writer meanwhile share one transaction: a commit writes each
    /// page it changed once, and a batch of messages spread over many timelines changes a page for nearly every row, so
    /// the rows of several batches in one commit rewrite their timelines' pages once rather than once a batch. Should the
    /// shared transaction fail, each of its writes runs again alone, so that one write's failure is its own.
    /// </summary>
    public async Task WriteTransactionAsync(Action<SqliteConnection> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var mine = new GroupedWrite(write);
        lock (waiting)
        {
            waiting.Add(mine);
        }

        try
        {
            await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (waiting)
            {
                if (waiting.Remove(mine))
                {
                    throw;
                }
            }

            // Taken by a transaction already: its outcome is this write's.
            await mine.Done.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            if (!mine.Done.Task.IsCompleted)
            {
                List<GroupedWrite> group;
                lock (waiting)
                {
                    group = [.. waiting];
                    waiting.Clear();
                }

                await CommitGroupAsync(group).ConfigureAwait(false);
            }
        }
        finally
        {
            writeLock.Release();
        }

        await mine.Done.Task.ConfigureAwait(false);
    }

    /// <summary>A new open connection (from the pool) for reading; the caller disposes it.</summary>
    public Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    public override string ToString() => $"SQLite at {Path}";

    public void Dispose()
    {
        transactions?.Dispose();
        writer?.Dispose();
        checkpointer?.Dispose();
        writeLock.Dispose();
    }

    // Under the write lock: the group in one transaction; if that fails, each write in a transaction of its own.
    private async Task CommitGroupAsync(List<GroupedWrite> group)
    {
        SqliteConnection connection;
        try
        {
            connection = await GetWriterAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The file cannot be opened: every write of the group fails with that.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            group.ForEach(write => write.Done.TrySetException(ex));
            return;
        }

        if (group.Count > 1 && TryCommit(connection, group))
        {
            return;
        }

        foreach (var write in group)
        {
            TryCommit(connection, [write]);
        }
    }

    // Completes the writes if the transaction commits; if it fails, fails a write that ran alone and leaves a group's as they are.
    private bool TryCommit(SqliteConnection connection, List<GroupedWrite> writes)
    {
        Exception? failure = null;
        try
        {
            transactions!.Begin();
            try
            {
                foreach (var write in writes)
                {
                    write.Write(connection);
                }

                transactions.Commit();
            }
            catch
            {
                transactions.RollbackIfOpen();
                throw;
            }
        }
#pragma warning disable CA1031 // Whatever a write throws is that write's failure (or, alone, its caller's).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }
        finally
        {
            checkpointer!.AfterCommit(connection);
        }

        foreach (var write in writes)
        {
            if (failure is null)
            {
                write.Done.TrySetResult();
            }
            else if (writes.Count == 1)
            {
                write.Done.TrySetException(failure);
            }
        }

        return failure is null;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class GroupedWrite(Action<SqliteConnection> write)
    {
        public Action<SqliteConnection> Write { get; } = write;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // Called under the write lock: opened on first use, then kept for the database's lifetime.
    private async Task<SqliteConnection> GetWriterAsync(CancellationToken cancellationToken)
    {
        if (writer is null)
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await using (var pragma = connection.CreateCommand())
                {
                    pragma.CommandText = writerPragmas + SqliteWalCheckpointer.WriterPragmas;
                    await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                transactions = new SqliteTransactionStatements(connection, immediate: false);
                checkpointer = new SqliteWalCheckpointer(Path, SqliteWalCheckpointer.DefaultPages, logger);
                checkpointer.Start();
            }
            catch
            {
                transactions?.Dispose();
                transactions = null;
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            writer = connection;
        }

        return writer;
    }
}
