using System.Diagnostics;
using ChatCluster.Grains;
using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Postgres;
using ChatCluster.Grains.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatCluster.Bench.MessageStore;

/// <summary>
/// Message-store inserts as the persistence handler does them: one writer, batches of
/// <c>batch</c> messages spread round-robin over <see cref="Timelines"/> timelines, each batch
/// awaited before the next. Reports messages inserted per second and batch latencies.
/// SQLite writes a temporary file; PostgreSQL writes the given database (rows under a run-unique
/// timeline prefix, deleted afterwards). The bench starts no servers.
/// </summary>
internal static class MessageStoreBench
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";
    private const int Timelines = 1_000;

    public static async Task<int> RunAsync(string store, int messages, int batch, string? connectionString, TextWriter output)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var prefix = $"group:bench-{run}-";
        if (store == Sqlite)
        {
            var path = Path.Combine(Path.GetTempPath(), $"chatcluster-bench-{run}.db");
            try
            {
                using var sqlite = new SqliteMessageStore(path);
                return await MeasureAsync(sqlite, prefix, messages, batch, output);
            }
            finally
            {
                SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    File.Delete(path + suffix);
                }
            }
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString!);
        try
        {
            return await MeasureAsync(new PostgresMessageStore(dataSource), prefix, messages, batch, output);
        }
        finally
        {
            await using var cleanup = dataSource.CreateCommand("DELETE FROM messages WHERE starts_with(timeline, $1)");
            cleanup.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
            await cleanup.ExecuteNonQueryAsync();
        }
    }

    private static async Task<int> MeasureAsync(IMessageStore store, string prefix, int messages, int batch, TextWriter output)
    {
        await store.InitializeAsync(CancellationToken.None);
        // Made before the clock starts, so only the store is measured.
        var all = Enumerable.Range(0, messages).Select(i => Message(prefix, i)).ToArray();
        var batches = all.Chunk(batch).ToArray();
        output.WriteLine($"message-store: {store}, {messages:N0} messages in batches of {batch} over {Math.Min(Timelines, messages):N0} timelines, {Environment.ProcessorCount} cores");

        // Warm-up (connections, JIT, prepared plans) on other timelines.
        await store.InsertAsync(Enumerable.Range(0, Math.Min(batch, 1_000)).Select(i => Message(prefix + "warm-", i)).ToArray(), CancellationToken.None);

        var latencies = new double[batches.Length];
        var total = Stopwatch.StartNew();
        for (var i = 0; i < batches.Length; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await store.InsertAsync(batches[i], CancellationToken.None);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        total.Stop();
        Array.Sort(latencies);
        output.WriteLine($"inserted: {messages:N0} in {total.Elapsed.TotalSeconds:F2} s");
        output.WriteLine($"messages/s: {messages / total.Elapsed.TotalSeconds:N0}");
        output.WriteLine($"batch ms: p50 {Percentile(latencies, 0.50):F2}, p99 {Percentile(latencies, 0.99):F2}, max {latencies[^1]:F2}");

        var stored = 0L;
        for (var t = 0; t < Math.Min(Timelines, messages); t++)
        {
            stored += await store.GetLastSeqAsync(prefix + t, CancellationToken.None);
        }

        if (stored != messages)
        {
            await Console.Error.WriteLineAsync($"expected {messages} messages stored, found {stored}");
            return 1;
        }

        return 0;
    }

    // Round-robin over the timelines, so one batch touches many of them, as a partition of the log does.
    private static ChatMessage Message(string prefix, int i)
    {
        var timeline = prefix + (i % Timelines);
        return new ChatMessage(
            timeline,
            Seq: (i / Timelines) + 1,
            MsgId: $"01JBENCH{i:D18}",
            From: $"user{i % 997}",
            To: timeline,
            ClientMsgId: $"c-{i}",
            MessageKind.User,
            Body: $$"""{"text":"benchmark message number {{i}}, about as long as a chat line"}""",
            Ts: 1_732_200_000_000 + i);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
