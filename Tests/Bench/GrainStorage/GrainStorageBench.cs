using System.Diagnostics;
using ChatCluster.Storage;
using ChatCluster.Testing.Servers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;

namespace ChatCluster.Bench.GrainStorage;

/// <summary>
/// Orleans grain storage under the chat's kind of load: one silo in this process, <c>grains</c> grains with a small
/// state (<see cref="WriterState"/>) and as many callers, each sending one write request after another to its own
/// grain, each request one <c>WriteStateAsync</c>, for <c>seconds</c>. Reports writes per second, write latencies,
/// errors and how many callers ever had a write in flight; every 5 s, from a thread of its own (the storage under
/// test may starve the thread pool), progress and the thread pool's threads and queued work items.
/// Files go to a temporary directory, deleted afterwards; PostgreSQL rows are written under a service id of
/// their own, deleted afterwards.
/// </summary>
internal static class GrainStorageBench
{
    /// <summary>ChatCluster's SQLite grain storage (<c>AddSqliteGrainStorage</c>).</summary>
    public const string Sqlite = "sqlite";

    /// <summary>Orleans' ADO.NET grain storage on SQLite, with the bench's SQL (<see cref="AdoNetSqliteScript"/>).</summary>
    public const string AdoNetSqlite = "adonet-sqlite";

    /// <summary>ChatCluster's PostgreSQL grain storage (<c>AddPostgresGrainStorage</c>).</summary>
    public const string Postgres = "postgres";

    /// <summary>The name of the grain storage under test.</summary>
    public const string StorageName = "bench";

    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(5);

    // Slow writes are measured, not timed out: Orleans' default of 30 s would cut the slowest short.
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromMinutes(5);

    // How long the writes in flight at the end of the window may take to return before the report.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(2);

    /// <summary>The options of the <c>grain-storage</c> command.</summary>
    public sealed record Settings(string Storage, int Grains, double Seconds, int? MinWorkerThreads, string? Postgres);

    public static async Task<int> RunAsync(Settings settings, TextWriter output)
    {
        if (settings.MinWorkerThreads is { } minWorkerThreads)
        {
            ThreadPool.GetMinThreads(out _, out var minIoThreads);
            if (!ThreadPool.SetMinThreads(minWorkerThreads, minIoThreads))
            {
                await Console.Error.WriteLineAsync($"The thread pool refused {minWorkerThreads} as its minimum of worker threads.");
                return 2;
            }
        }

        var directory = Directory.CreateTempSubdirectory("chatcluster-bench-");
        try
        {
            var serviceId = $"bench-{Guid.NewGuid():N}";
            using var host = BuildSilo(settings, Path.Combine(directory.FullName, "state.db"), serviceId);
            await host.StartAsync();
            try
            {
                await MeasureAsync(settings, host.Services.GetRequiredService<IGrainFactory>(), output);
                if (settings.Storage == Postgres)
                {
                    await DeleteRowsAsync(settings.Postgres!, serviceId);
                }
            }
            finally
            {
                await host.StopAsync();
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }

        return 0;
    }

    private static IHost BuildSilo(Settings settings, string databasePath, string serviceId)
    {
        var adoNetConnectionString = settings.Storage == AdoNetSqlite ? AdoNetSqliteScript.Apply(databasePath) : null;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A starved thread pool makes Orleans warn about each slow work item, thousands of lines; the report's thread-pool lines show it.
        builder.Logging.AddFilter("Orleans.Runtime.Scheduler.WorkItemGroup", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort.Get(), gatewayPort: 0, serviceId: serviceId);
            silo.Configure<SiloMessagingOptions>(options => options.ResponseTimeout = ResponseTimeout);
            switch (settings.Storage)
            {
                case Sqlite:
                    silo.AddSqliteGrainStorage(StorageName, databasePath);
                    break;
                case AdoNetSqlite:
                    silo.AddAdoNetGrainStorage(StorageName, options =>
                    {
                        options.Invariant = AdoNetSqliteScript.Invariant;
                        options.ConnectionString = adoNetConnectionString;
                    });
                    break;
                default:
                    silo.AddPostgresGrainStorage(StorageName, settings.Postgres!);
                    break;
            }
        });
        return builder.Build();
    }

    private static async Task MeasureAsync(Settings settings, IGrainFactory factory, TextWriter output)
    {
        var grains = Enumerable.Range(0, settings.Grains).Select(i => factory.GetGrain<IStateWriterGrain>($"writer-{i}")).ToArray();
        var activation = Stopwatch.StartNew();
        await Task.WhenAll(grains.Select(grain => grain.Activate()));
        ThreadPool.GetMinThreads(out var minWorkerThreads, out _);
        output.WriteLine($"grain-storage: {settings.Storage}, {settings.Grains:N0} grains activated (state read) in {activation.Elapsed.TotalSeconds:F1} s, "
            + $"one caller each, {settings.Seconds:0.#} s, {Environment.ProcessorCount} cores, min worker threads {minWorkerThreads}, load {LoadAverage()}");

        var load = new WriteLoad();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = grains.Select(grain => load.RunCallerAsync(grain, start.Task)).ToArray();
        var windowClosed = new TaskCompletionSource<Window>(TaskCreationOptions.RunContinuationsAsynchronously);
        var monitor = new Thread(() => windowClosed.SetResult(Watch(load, start, TimeSpan.FromSeconds(settings.Seconds), output)))
        {
            IsBackground = true,
            Name = "grain-storage monitor",
        };
        monitor.Start();
        var window = await windowClosed.Task;

        var drain = Stopwatch.StartNew();
        var allReturned = Task.WhenAll(callers);
        var drained = await Task.WhenAny(allReturned, Task.Delay(DrainLimit)) == allReturned;
        drain.Stop();

        var latencies = load.Latencies.ToArray();
        output.WriteLine($"writes/s: {window.Written / window.Elapsed.TotalSeconds:N0} ({window.Written:N0} writes in {window.Elapsed.TotalSeconds:F1} s); "
            + $"errors: {load.Errors:N0}{(load.FirstError is { } error ? $" (first: {error})" : "")}");
        output.WriteLine($"write latency, caller's view (queueing included), {latencies.Length:N0} writes incl. those returning after the window: "
            + Percentiles(latencies.Select(latency => latency.Request)));
        output.WriteLine($"write latency, WriteStateAsync in the grain: {Percentiles(latencies.Select(latency => latency.Storage))}");
        output.WriteLine($"callers that ever had a write in flight: {load.CallersStarted:N0} of {settings.Grains:N0}; in flight when the window closed: {window.InFlight:N0}, "
            + (drained ? $"all returned {drain.Elapsed.TotalSeconds:F1} s later" : $"{load.InFlight:N0} still in flight {DrainLimit.TotalSeconds:N0} s later")
            + $"; load {LoadAverage()}");
    }

    /// <summary>
    /// On the monitor thread: starts the callers, prints progress every <see cref="ReportInterval"/> and stops the callers
    /// when <paramref name="window"/> has passed.
    /// </summary>
    private static Window Watch(WriteLoad load, TaskCompletionSource start, TimeSpan window, TextWriter output)
    {
        var begin = Stopwatch.GetTimestamp();
        start.SetResult();
        var previousAt = TimeSpan.Zero;
        var previousWritten = 0L;
        while (true)
        {
            var at = previousAt + ReportInterval < window ? previousAt + ReportInterval : window;
            var wait = at - Stopwatch.GetElapsedTime(begin);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }

            var last = at == window;
            if (last)
            {
                load.Stop();
            }

            var elapsed = Stopwatch.GetElapsedTime(begin);
            var written = load.Completed;
            var inFlight = load.InFlight;
            output.WriteLine($"  t={at.TotalSeconds:0.#} s: {written:N0} writes ({(written - previousWritten) / (at - previousAt).TotalSeconds:N0}/s), "
                + $"{inFlight:N0} in flight, {load.CallersStarted:N0} callers started, {load.Errors:N0} errors; "
                + $"thread pool: {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount:N0} queued work items");
            if (last)
            {
                return new Window(written, elapsed, inFlight);
            }

            previousAt = at;
            previousWritten = written;
        }
    }

    private static string Percentiles(IEnumerable<TimeSpan> latencies)
    {
        var sorted = latencies.Select(latency => latency.TotalMilliseconds).Order().ToArray();
        if (sorted.Length == 0)
        {
            return "no writes";
        }

        string At(double percentile) => $"{sorted[Math.Max(0, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)]:N1} ms";
        return $"p50 {At(50)}, p90 {At(90)}, p99 {At(99)}, max {sorted[^1]:N1} ms";
    }

    /// <summary>Deletes the rows this run wrote to ChatCluster.Storage's state table (<c>Postgres/orleans-storage.sql</c>).</summary>
    private static async Task DeleteRowsAsync(string connectionString, string serviceId)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("DELETE FROM chatcluster_grain_state WHERE service_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = serviceId });
        await command.ExecuteNonQueryAsync();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>What the measured window saw: writes returned in it, its actual length, writes in flight when it closed.</summary>
    private readonly record struct Window(long Written, TimeSpan Elapsed, int InFlight);
}
