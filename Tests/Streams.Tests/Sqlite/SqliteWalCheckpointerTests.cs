using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>The WAL is copied into the database beside its writer, and still starts over, so it stays small.</summary>
public sealed class SqliteWalCheckpointerTests : IDisposable
{
    private const int Pages = 100;
    private readonly string directory = Directory.CreateTempSubdirectory("chatcluster-wal-").FullName;

    [Fact]
    public async Task Passes_run_beside_the_writer_which_finishes_them_so_the_wal_starts_over()
    {
        var path = Path.Combine(directory, "test.db");
        using var timings = new CheckpointTimings();
        using var writer = OpenWriter(path);
        using var checkpointer = new SqliteWalCheckpointer(path, Pages, NullLogger.Instance);
        checkpointer.Start();

        // 20 rounds of 150 one-page rows (3,000 pages, 12 MiB, through the WAL): each round asks for a pass and waits for
        // it; the round after finishes it, and the last row finishes the last. After every commit the test reads the WAL's
        // salt, which SQLite changes each time the WAL starts over from its beginning.
        var rows = 0;
        var salt = "";
        var startedOver = 0;
        var restartDue = false;
        var notStartedOver = new List<int>();
        for (var round = 1; round <= 20; round++)
        {
            for (var i = 0; i < 150; i++)
            {
                Insert(writer, ++rows);
                var current = WalSalt(path);
                if (current != salt)
                {
                    salt = current;
                    startedOver++;
                }
                else if (restartDue)
                {
                    notStartedOver.Add(rows);
                }

                var catchUps = checkpointer.CatchUps;
                checkpointer.AfterCommit(writer);
                restartDue = checkpointer.CatchUps > catchUps;
            }

            await WaitUntil(() => checkpointer.Passes >= round, $"background pass {round}");
        }

        Insert(writer, ++rows);
        checkpointer.AfterCommit(writer);

        // A quick pass may be finished and followed by another within a round.
        Assert.InRange(checkpointer.Passes, 20, 60);
        Assert.InRange(checkpointer.CatchUps, checkpointer.Passes - 1, checkpointer.Passes);
        // Once the writer has finished a pass, every page in the WAL is copied and the next commit starts it over. Without
        // the writer's part no pass would ever see the whole WAL copied, and it would never start over (the file would
        // hold all 12 MiB). How large it grows between two passes depends on how fast they run, so that is not asserted.
        Assert.True(notStartedOver.Count == 0, $"The WAL did not start over after the writer's pass at rows {string.Join(", ", notStartedOver)}.");
        Assert.True(startedOver > checkpointer.CatchUps, $"The WAL started over {startedOver - 1} times for {checkpointer.CatchUps} passes finished by the writer.");
        Assert.Equal(rows, Count(path));
        // Both parts are timed for /metrics (other tests in this process may add theirs).
        Assert.True(timings.Background >= checkpointer.Passes, $"{timings.Background} background timings for {checkpointer.Passes} passes.");
        Assert.True(timings.Writer >= checkpointer.CatchUps, $"{timings.Writer} writer timings for {checkpointer.CatchUps} catch-ups.");
    }

    [Fact]
    public void A_writer_with_its_pragmas_runs_no_checkpoint_of_its_own()
    {
        var path = Path.Combine(directory, "alone.db");
        using var writer = OpenWriter(path);
        for (var row = 1; row <= 1500; row++)
        {
            Insert(writer, row);
        }

        // SQLite's own checkpoint (every 1,000 pages by default) would have started the WAL over.
        Assert.True(new FileInfo(path + "-wal").Length > 1500 * 4096, "The writer checkpointed the WAL itself.");
    }

    [Fact]
    public void A_file_that_cannot_be_opened_fails_at_start()
    {
        using var checkpointer = new SqliteWalCheckpointer(Path.Combine(directory, "missing", "none.db"), Pages, NullLogger.Instance);
        Assert.Throws<SqliteException>(checkpointer.Start);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    private static SqliteConnection OpenWriter(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var setup = connection.CreateCommand();
        setup.CommandText = $"""
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; {SqliteWalCheckpointer.WriterPragmas}
            CREATE TABLE rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
            """;
        setup.ExecuteNonQuery();
        return connection;
    }

    // A row of 3,000 bytes: a page of its own.
    private static void Insert(SqliteConnection connection, int id)
    {
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO rows (id, data) VALUES ($id, randomblob(3000))";
        insert.Parameters.AddWithValue("$id", id);
        insert.ExecuteNonQuery();
    }

    // The two salts in the WAL's header (bytes 16-23), new each time the WAL starts over.
    private static string WalSalt(string path)
    {
        using var wal = new FileStream(path + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[24];
        wal.ReadExactly(header);
        return Convert.ToHexString(header, 16, 8);
    }

    private static long Count(string path)
    {
        using var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        reader.Open();
        using var count = reader.CreateCommand();
        count.CommandText = "SELECT count(*) FROM rows";
        return (long)count.ExecuteScalar()!;
    }

    private sealed class CheckpointTimings : IDisposable
    {
        private readonly MeterListener listener = new();
        private long background;
        private long writer;

        public CheckpointTimings()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StreamMetrics.MeterName && instrument.Name is StreamMetrics.CheckpointName or StreamMetrics.WriterCheckpointName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((instrument, seconds, _, _) =>
            {
                Assert.True(seconds >= 0);
                Interlocked.Increment(ref instrument.Name == StreamMetrics.CheckpointName ? ref background : ref writer);
            });
            listener.Start();
        }

        public long Background => Interlocked.Read(ref background);

        public long Writer => Interlocked.Read(ref writer);

        public void Dispose() => listener.Dispose();
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(10);
        }
    }
}
