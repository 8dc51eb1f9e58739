using System.CommandLine;

namespace ChatCluster.Bench.GrainStorage;

/// <summary>The <c>grain-storage</c> subcommand: its options and their checks.</summary>
internal static class GrainStorageCommand
{
    public static Command Create()
    {
        var storage = new Option<string>("--storage")
        {
            Description = "The grain storage: sqlite (ours), adonet-sqlite (Orleans' ADO.NET provider on SQLite) or postgres (ours)",
            DefaultValueFactory = _ => GrainStorageBench.Sqlite,
        };
        storage.AcceptOnlyFromAmong(GrainStorageBench.Sqlite, GrainStorageBench.AdoNetSqlite, GrainStorageBench.Postgres);
        var grains = new Option<int>("--grains") { Description = "Grains, each with a caller sending it one write request after another", DefaultValueFactory = _ => 1_000 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration", DefaultValueFactory = _ => 20 };
        var minWorkerThreads = new Option<int?>("--min-worker-threads") { Description = "The thread pool's minimum of worker threads (ThreadPool.SetMinThreads; default: the runtime's)" };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (required for postgres; the bench starts no server)" };
        var command = new Command("grain-storage", "Orleans grain storage writes per second and their latency, one write request at a time per grain")
        {
            storage, grains, seconds, minWorkerThreads, postgres,
        };
        command.SetAction(async (parse, _) =>
        {
            var settings = new GrainStorageBench.Settings(
                parse.GetValue(storage)!, parse.GetValue(grains), parse.GetValue(seconds), parse.GetValue(minWorkerThreads), parse.GetValue(postgres));
            if (settings.Grains < 1 || settings.Seconds <= 0 || settings.MinWorkerThreads < 1)
            {
                await Console.Error.WriteLineAsync("--grains and --min-worker-threads must be at least 1, --seconds more than 0.");
                return 2;
            }

            if ((settings.Storage == GrainStorageBench.Postgres) != !string.IsNullOrWhiteSpace(settings.Postgres))
            {
                await Console.Error.WriteLineAsync("--postgres is required with --storage postgres, and only then.");
                return 2;
            }

            return await GrainStorageBench.RunAsync(settings, Console.Out);
        });
        return command;
    }
}
