using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace ChatCluster.Streams;

/// <summary>The metrics of the stream adapters, on the meter <c>ChatCluster.Streams</c>.</summary>
public static class StreamMetrics
{
    /// <summary>The meter's name, for exporters and listeners.</summary>
    public const string MeterName = "ChatCluster.Streams";

    /// <summary>The counter of records a reader could not decode and set aside (tags: <c>provider</c>, <c>queue</c>).</summary>
    public const string DeadLettersName = "chatcluster_stream_dead_letters_total";

    /// <summary>The counter of records a reader never got because the log no longer held them when it came to them (tags: <c>provider</c>, <c>queue</c>).</summary>
    public const string LostName = "chatcluster_stream_records_lost_total";

    /// <summary>The histogram of the embedded SQLite files' WAL checkpoints run beside their writers (the log, the message store).</summary>
    public const string CheckpointName = "chatcluster_sqlite_checkpoint_seconds";

    /// <summary>The histogram of the part of each WAL checkpoint a SQLite writer ran itself, between two commits: its writes waited for it.</summary>
    public const string WriterCheckpointName = "chatcluster_sqlite_checkpoint_writer_seconds";

    /// <summary>The histogram of the SQLite log writer's transactions: each append waits for the one before its own, then for its own.</summary>
    public const string SqliteLogCommitName = "chatcluster_sqlite_log_commit_seconds";

    /// <summary>The histogram of the SQLite log writer's transactions that deleted trimmed records (also counted in <see cref="SqliteLogCommitName"/>).</summary>
    public const string SqliteLogTrimName = "chatcluster_sqlite_log_trim_seconds";

    /// <summary>
    /// The counter of records a SQLite log reader read from the file rather than from the writer's in-memory tail (tag:
    /// <c>provider</c>): a reader that fell behind the tail, or records another silo appended.
    /// </summary>
    public const string SqliteFileReadsName = "chatcluster_sqlite_log_file_records_total";

    /// <summary>The meter of the stream adapters (process-wide: every silo of the process counts on it).</summary>
    public static Meter Meter { get; } = new(MeterName);

    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        DeadLettersName, unit: "{record}", description: "Log records a reader provider could not decode, moved to the dead letters and skipped.");

    private static readonly Counter<long> Lost = Meter.CreateCounter<long>(
        LostName, unit: "{record}", description: "Log records a reader provider never got: the log had deleted them (retention) before the reader came to them.");

    private static readonly Counter<long> SqliteFileReads = Meter.CreateCounter<long>(
        SqliteFileReadsName, unit: "{record}", description: "Records SQLite log readers read from the file, not from the in-memory tail of what this silo appended.");

    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private static readonly Histogram<double> Checkpoints = Seconds(
        CheckpointName, "WAL checkpoints of the SQLite log and message store, run on a thread of their own beside the writer.");

    private static readonly Histogram<double> WriterCheckpoints = Seconds(
        WriterCheckpointName, "The end of each SQLite WAL checkpoint, run by the writer between two commits (its writes wait for it).");

    private static readonly Histogram<double> SqliteLogCommits = Seconds(
        SqliteLogCommitName, "Transactions of the SQLite log's writer (appends, checkpoints, trims), from BEGIN to COMMIT.");

    private static readonly Histogram<double> SqliteLogTrims = Seconds(
        SqliteLogTrimName, "Transactions of the SQLite log's writer that deleted trimmed records, from BEGIN to COMMIT.");

    // A histogram of durations, in seconds, with buckets from 1 ms to 2.5 s.
    private static Histogram<double> Seconds(string name, string description) => Meter.CreateHistogram(
        name, unit: "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    internal static void SqliteLogCommitted(TimeSpan elapsed, bool trimmed)
    {
        SqliteLogCommits.Record(elapsed.TotalSeconds);
        if (trimmed)
        {
            SqliteLogTrims.Record(elapsed.TotalSeconds);
        }
    }

    internal static void Checkpointed(TimeSpan elapsed) => Checkpoints.Record(elapsed.TotalSeconds);

    internal static void WriterCheckpointed(TimeSpan elapsed) => WriterCheckpoints.Record(elapsed.TotalSeconds);

    internal static void ReadFromFile(string provider, int count) => SqliteFileReads.Add(count, new KeyValuePair<string, object?>("provider", provider));

    internal static void RecordsLost(string provider, int queue, long count)
    {
        var tags = new TagList
        {
            { "provider", provider },
            { "queue", queue.ToString(CultureInfo.InvariantCulture) },
        };
        Lost.Add(count, tags);
    }

    internal static void DeadLettered(string provider, int queue)
    {
        var tags = new TagList
        {
            { "provider", provider },
            { "queue", queue.ToString(CultureInfo.InvariantCulture) },
        };
        DeadLetters.Add(1, tags);
    }
}
