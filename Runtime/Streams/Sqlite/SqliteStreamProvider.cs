using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ChatCluster.Runtime.Storage;
using Microsoft.Data.Sqlite;

namespace ChatCluster.Runtime.Streams.Sqlite;

/// <summary>
/// Streams in a SQLite file: the durable embedded provider. Appends are group-committed by one
/// writer (<see cref="SqliteStreamWriter"/>), in WAL mode with <c>synchronous = NORMAL</c>: an append
/// whose task completed survives a crash of the process (a power cut may lose the last commits).
/// Readers use their own connections beside the writer, are woken by it after each commit, and poll
/// briefly for what another process may have written. One process writes a file at a time.
/// </summary>
public sealed class SqliteStreamProvider : IStreamProvider, IAsyncDisposable, IDisposable
{
    private readonly Lock initializing = new();
    private SqliteStreamWriter? writer;
    private bool disposed;

    /// <param name="databasePath">The database file; its folder is created if missing. Use a file of its own or share the state's.</param>
    /// <param name="partitions">Partitions of every namespace (1 to 1024); fixed for the file once created.</param>
    public SqliteStreamProvider(string databasePath, int partitions = 8)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        StreamIds.ValidatePartitionCount(partitions);
        DatabasePath = Path.GetFullPath(databasePath);
        Partitions = partitions;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    /// <summary>The database file (full path).</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public int Partitions { get; }

    internal string ConnectionString { get; }

    internal PartitionSignals Signals { get; } = new();

    /// <summary>Events kept in memory per partition after they commit (see <see cref="PartitionTail"/>).</summary>
    internal const int TailCapacity = 1024;

    private readonly ConcurrentDictionary<(string Namespace, int Partition), PartitionTail> tails = new();

    internal PartitionTail TailOf(string streamNamespace, int partition) =>
        tails.GetOrAdd((streamNamespace, partition), static _ => new PartitionTail(TailCapacity));

    private SqliteStreamWriter Writer
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return writer ?? throw new InvalidOperationException($"The SQLite stream provider ({DatabasePath}) is not initialized: call InitializeAsync first (the grain runtime does at start).");
        }
    }

    /// <summary>
    /// Creates the tables if missing and starts the writer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file was created with another number of partitions.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = EmbeddedSql.Load(typeof(SqliteStreamProvider).Assembly, "ChatCluster.Runtime.Streams.Sqlite.streams.sql");
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await CheckPartitionCountAsync(connection, cancellationToken);
            await using (var command = connection.CreateCommand())
            {
                // Per connection: commits reach the OS at once (crash-safe) but are fsynced only at checkpoints;
                // checkpoints (which run inside a commit, on the one writer) every ~40 MiB of log instead of ~4 MiB.
                command.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 10000; PRAGMA cache_size = -65536";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            lock (initializing)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                if (writer is null)
                {
                    writer = new SqliteStreamWriter(connection, Signals, TailOf);
                    connection = null;
                }
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        StreamIds.Validate(stream, nameof(stream));
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<StreamPosition>(cancellationToken);
        }

        // The publisher's buffer is a whole array: no copy. Any other memory is copied, as the caller may reuse it.
        var bytes = MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();
        return Writer.Enqueue(PendingWrite.Append(stream, stream.PartitionOf(Partitions), bytes, cancellationToken));
    }

    /// <inheritdoc />
    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        return new SqlitePartitionReader(this, new CheckpointKey(handlerGroup, streamNamespace, partition));
    }

    /// <inheritdoc />
    public async Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(event_offset), 0) FROM stream_events WHERE namespace = $namespace AND partition_no = $partition";
        command.Parameters.AddWithValue("$namespace", streamNamespace);
        command.Parameters.AddWithValue("$partition", partition);
        return new StreamPosition(0, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <inheritdoc />
    public async Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return await ReadCheckpointAsync(connection, new CheckpointKey(handlerGroup, streamNamespace, partition), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => $"SQLite at {DatabasePath}, {Partitions} partitions";

    /// <summary>Commits every append already accepted, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        SqliteStreamWriter? closing;
        lock (initializing)
        {
            disposed = true;
            closing = writer;
            writer = null;
        }

        if (closing is not null)
        {
            await closing.DisposeAsync();
        }
    }

    /// <inheritdoc cref="DisposeAsync" />
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal Task<StreamPosition> CheckpointAsync(CheckpointKey key, StreamPosition position, CancellationToken cancellationToken)
    {
        if (position.High != 0 || position.Low < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, "A SQLite stream position is (0, offset) with a non-negative offset.");
        }

        return Writer.Enqueue(PendingWrite.Checkpoint(key, position, cancellationToken));
    }

    internal static async Task<StreamPosition> ReadCheckpointAsync(SqliteConnection connection, CheckpointKey key, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT position FROM stream_checkpoints WHERE handler_group = $group AND namespace = $namespace AND partition_no = $partition";
        command.Parameters.AddWithValue("$group", key.Group);
        command.Parameters.AddWithValue("$namespace", key.Namespace);
        command.Parameters.AddWithValue("$partition", key.Partition);
        return await command.ExecuteScalarAsync(cancellationToken) is long offset ? new StreamPosition(0, offset) : StreamPosition.Start;
    }

    private async Task CheckPartitionCountAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO stream_settings (name, value) VALUES ('partitions', $partitions) ON CONFLICT DO NOTHING;
            SELECT value FROM stream_settings WHERE name = 'partitions';
            """;
        command.Parameters.AddWithValue("$partitions", Partitions);
        var stored = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (stored != Partitions)
        {
            throw new InvalidOperationException(
                $"The stream database {DatabasePath} was created with {stored} partitions, but {Partitions} are configured. "
                + $"Stream ids hash to partitions, so the count of a database cannot change: configure {stored}.");
        }
    }
}
