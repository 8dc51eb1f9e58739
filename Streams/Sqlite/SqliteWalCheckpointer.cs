using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace ChatCluster.Streams;

/// <summary>
/// Checkpoints a SQLite file's WAL on a thread of its own, so that its writer's commits do not wait for it. With SQLite's
/// automatic checkpoint, the commit that crosses the threshold copies the WAL into the database and fsyncs both, and
/// every write queued behind it waits: 60–80 ms every 0.7 s for the log at 5,000 direct messages/s on the test machines.
/// </summary>
/// <remarks>
/// The writer turns the automatic checkpoint off (<see cref="WriterPragmas"/>) and calls <see cref="AfterCommit"/> after
/// each transaction. Once the writer has put <c>pages</c> pages into the WAL, a background pass copies the WAL into the
/// database (<c>PASSIVE</c>: writes go on beside it), followed by up to three more while each still finds many pages the
/// writer committed during the one before. The WAL can only start over from its beginning once every frame in it is
/// copied, which a busy writer never lets a background pass see; so the writer then copies the few pages it committed
/// meanwhile itself, between two transactions, and SQLite restarts the WAL at its next commit. Durability is
/// SQLite's own: each pass fsyncs the WAL before copying and the database after.
/// </remarks>
public sealed partial class SqliteWalCheckpointer : IDisposable
{
    /// <summary>The pages written to the WAL between two checkpoints by default (about 40 MiB of 4 KiB pages).</summary>
    public const int DefaultPages = 10_000;

    // Further passes a round may run before it hands over to the writer, while each still copies at least this many pages.
    private const int MaxFollowUps = 3;
    private const int FollowUpPages = 256;

    /// <summary>Run on the writer's connection: no checkpoint inside its commits.</summary>
    public const string WriterPragmas = "PRAGMA wal_autocheckpoint = 0;";

    private readonly string path;
    private readonly int pages;
    private readonly ILogger logger;
    private readonly SemaphoreSlim wanted = new(0, 1);
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread thread;
    private SqliteConnection? connection;
    private SqliteCommand? readHeader;
    private int written;        // pages the writer put in the WAL since the last pass was asked for (writer's thread only)
    private int passRunning;    // 1 while a pass is asked for or running
    private int catchUpDue;     // 1 once a pass is done: the writer copies what it committed meanwhile
    private long passes;
    private long catchUps;

    /// <param name="databasePath">The database file, in WAL mode.</param>
    /// <param name="pages">Pages written to the WAL that start a checkpoint; at least 1.</param>
    /// <param name="logger">Where failed passes are reported.</param>
    public SqliteWalCheckpointer(string databasePath, int pages, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(pages, 1);
        path = databasePath;
        this.pages = pages;
        this.logger = logger;
        thread = new Thread(Run) { IsBackground = true, Name = "SQLite checkpoint" };
    }

    /// <summary>Background checkpoints handed over to the writer so far (each one or more passes).</summary>
    public long Passes => Interlocked.Read(ref passes);

    /// <summary>Passes the writer finished itself, between two transactions.</summary>
    public long CatchUps => Interlocked.Read(ref catchUps);

    /// <summary>Opens the checkpoint's own connection and starts its thread; call once.</summary>
    public void Start()
    {
        var opened = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        try
        {
            opened.Open();
            using var pragma = opened.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = NORMAL;";
            pragma.ExecuteNonQuery();
        }
        catch
        {
            opened.Dispose();
            throw;
        }

        connection = opened;
        readHeader = opened.CreateCommand();
        readHeader.CommandText = "PRAGMA schema_version;";
        thread.Start();
    }

    /// <summary>
    /// Called by the writer after each transaction (committed or not), on its own thread and connection: counts the pages it
    /// wrote, asks for a background pass once there are enough, and finishes a pass that is done.
    /// </summary>
    public void AfterCommit(SqliteConnection writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (Volatile.Read(ref catchUpDue) == 1)
        {
            // The background pass copied the WAL as it was; what the writer committed since is a few pages.
            var started = Stopwatch.GetTimestamp();
            var result = Checkpoint(writer.Handle!, out _, out _);
            StreamMetrics.WriterCheckpointed(Stopwatch.GetElapsedTime(started));
            if (result != raw.SQLITE_OK && result != raw.SQLITE_BUSY)
            {
                LogCheckpointFailed(path, "the writer's", raw.sqlite3_errstr(result).utf8_to_string());
            }

            Interlocked.Increment(ref catchUps);
            Volatile.Write(ref catchUpDue, 0);
            Volatile.Write(ref passRunning, 0);
            written = 0;
        }

        raw.sqlite3_db_status(writer.Handle!, raw.SQLITE_DBSTATUS_CACHE_WRITE, out var pagesWritten, out _, 1);
        written += pagesWritten;
        if (written >= pages && Interlocked.CompareExchange(ref passRunning, 1, 0) == 0)
        {
            written = 0;
            wanted.Release();
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        if (thread.IsAlive)
        {
            thread.Join();
        }

        readHeader?.Dispose();
        connection?.Dispose();
        stopping.Dispose();
        wanted.Dispose();
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                wanted.Wait(stopping.Token);
                // What the writer commits during a pass is left for the next one. While a pass still found much of it,
                // another runs here, so that the part left to the writer, which its writes wait for, stays small.
                var copied = Pass();
                for (var followUp = 0; followUp < MaxFollowUps && copied >= 0; followUp++)
                {
                    var next = Pass();
                    if (next - copied < FollowUpPages)
                    {
                        break;
                    }

                    copied = next;
                }

                Interlocked.Increment(ref passes);
                // Even a failed or partial pass hands over to the writer, whose own pass copies what it can; the next pages
                // it writes then ask for another pass.
                Volatile.Write(ref catchUpDue, 1);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    // The WAL frames copied so far (the WAL's count, from its start), or -1 if the pass failed or the file is not in WAL mode.
    private int Pass()
    {
        try
        {
            // A connection finds the file in WAL mode only as it reads it (the writer may have turned it on after this
            // connection opened); until then a checkpoint does nothing.
            var started = Stopwatch.GetTimestamp();
            readHeader!.ExecuteScalar();
            var result = Checkpoint(connection!.Handle!, out var log, out var copied);
            StreamMetrics.Checkpointed(Stopwatch.GetElapsedTime(started));
            if (result == raw.SQLITE_OK || result == raw.SQLITE_BUSY)
            {
                LogPass(path, log, copied);
                return copied;
            }

            LogCheckpointFailed(path, "a background", raw.sqlite3_errstr(result).utf8_to_string());
            return -1;
        }
#pragma warning disable CA1031 // A failed pass (a full disk, an I/O error) is reported; the file is as safe as before it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCheckpointFailed(path, "a background", ex.Message);
            return -1;
        }
    }

    private static int Checkpoint(sqlite3 database, out int log, out int copied) =>
        raw.sqlite3_wal_checkpoint_v2(database, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out log, out copied);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checkpointed {Path}: {Copied} of {Log} WAL pages copied")]
    private partial void LogPass(string path, int log, int copied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkpointing {Path} failed ({Which} pass): {Error}; the next pages written try again")]
    private partial void LogCheckpointFailed(string path, string which, string error);
}
