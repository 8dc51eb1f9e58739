namespace ChatCluster.Streams;

/// <summary>
/// The SQLite message log (the embedded one): a file in WAL mode with one writer per silo that
/// commits many appends per transaction. Set with <see cref="SqliteLogSiloBuilderExtensions.AddSqliteLog"/>.
/// </summary>
public sealed class SqliteLogOptions
{
    /// <summary>The highest queue count a log may have.</summary>
    public const int MaxQueues = 1024;

    /// <summary>The SQLite file of the log (created, with its folder, if missing). Required.</summary>
    public string DatabasePath { get; set; } = "";

    /// <summary>Queues (partitions) of the log, 1 to 1024; fixed for a file once it is created, as streams hash to queues.</summary>
    public int Queues { get; set; } = 8;

    /// <summary>The most appends, checkpoints and dead letters one transaction commits; a flood still commits (and acks) in bounded steps.</summary>
    public int MaxWritesPerCommit { get; set; } = 4096;

    /// <summary>
    /// Records kept in memory per queue after they commit, so that caught-up readers get them without a query; 0 turns the
    /// tail off. Small on purpose: every record the tail holds when a gen0 collection runs is copied to gen1, and 2,048 a
    /// queue made the tail the largest thing those collections copied (their pauses were twice as long). 256 a queue
    /// covers about a tenth of a second at 10,000 records a second; a reader further behind reads the file (counted in
    /// <c>chatcluster_sqlite_log_file_records_total</c>).
    /// </summary>
    public int TailCapacity { get; set; } = 256;

    /// <summary>
    /// How often an idle writer looks for another writer's commits (another silo on the same file), and the most often a
    /// caught-up reader then queries the file for that writer's records; records this silo appends reach its readers
    /// through the tail, and a reader does not query the file for them.
    /// </summary>
    public TimeSpan ExternalPollPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often records that every reader has checkpointed past are deleted (the last record of each
    /// queue is kept, so offsets are never reused); <see cref="TimeSpan.Zero"/> keeps everything. Often, so that each
    /// delete is small: once a minute, a loaded silo deleted two million records in one transaction, which held every
    /// append for it, and the file grew to a minute of traffic (250 MB after 45 s at 16,000 messages/s, 24 MB at 2 s).
    /// </summary>
    public TimeSpan TrimPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most records one trim transaction deletes; a queue with more to trim takes several, one after another, and the
    /// queues are trimmed one at a time. Appends share the writer's transactions, so a trim holds the appends behind it:
    /// all eight queues' two seconds in one transaction (20,000 records at 5,000 messages/s) held them for 17–55 ms.
    /// </summary>
    public int MaxRecordsPerTrim { get; set; } = 1_000;

    /// <summary>What is wrong with these options, each message naming the property; empty when they are valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(DatabasePath)} is required: the SQLite file of the log.";
        }

        if (Queues is < 1 or > MaxQueues)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(Queues)} must be between 1 and {MaxQueues} (was {Queues}).";
        }

        if (MaxWritesPerCommit < 1)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(MaxWritesPerCommit)} must be at least 1 (was {MaxWritesPerCommit}).";
        }

        if (TailCapacity < 0)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(TailCapacity)} cannot be negative (was {TailCapacity}).";
        }

        if (ExternalPollPeriod <= TimeSpan.Zero)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(ExternalPollPeriod)} must be positive (was {ExternalPollPeriod}).";
        }

        if (MaxRecordsPerTrim < 1)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(MaxRecordsPerTrim)} must be at least 1 (was {MaxRecordsPerTrim}).";
        }

        if (TrimPeriod < TimeSpan.Zero)
        {
            yield return $"{nameof(SqliteLogOptions)}.{nameof(TrimPeriod)} cannot be negative (was {TrimPeriod}); use zero to keep every record.";
        }
    }
}
