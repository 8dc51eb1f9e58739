using System.CommandLine;
using ChatCluster.Bench.Backlog;
using ChatCluster.Bench.Chat;
using ChatCluster.Bench.Cluster;
using ChatCluster.Bench.GrainCalls;
using ChatCluster.Bench.GrainStorage;
using ChatCluster.Bench.MessageStore;
using ChatCluster.Bench.RemoteCalls;
using ChatCluster.Bench.Streams;
using ChatCluster.Bench.WebSockets;

// The bench tool: one subcommand per benchmark; results go to docs/benchmarks.md by hand, with the command.
var grains = new Option<int>("--grains") { Description = "Number of grain activations to spread calls over", DefaultValueFactory = _ => 10_000 };
var callers = new Option<int>("--callers") { Description = "Concurrent caller loops, each awaiting one call at a time", DefaultValueFactory = _ => 1_000 };
var seconds = new Option<double>("--seconds") { Description = "Measured duration after warm-up", DefaultValueFactory = _ => 10 };
var grainCalls = new Command("grain-calls", "Local no-op Orleans grain calls per second and bytes allocated per call") { grains, callers, seconds };
grainCalls.SetAction(async (parse, _) =>
{
    if (parse.GetValue(grains) < 1 || parse.GetValue(callers) < 1 || parse.GetValue(seconds) <= 0)
    {
        await Console.Error.WriteLineAsync("--grains and --callers must be at least 1, --seconds more than 0.");
        return 2;
    }

    return await GrainCallBench.RunAsync(parse.GetValue(grains), parse.GetValue(callers), parse.GetValue(seconds), Console.Out);
});

var root = new RootCommand("ChatCluster benchmarks")
{
    grainCalls, MessageStoreCommand.Create(), ChatCommands.DirectMessages(), ChatCommands.FanOut(),
    WebSocketCommands.Connections(), WebSocketCommands.DirectMessages(), ClusterDmCommand.Create(), GrainStorageCommand.Create(),
    StreamsCommand.Create(), BacklogCommand.Create(), RemoteCallsCommand.Create(), RemoteCallsCommand.Server(),
};
return await root.Parse(args).InvokeAsync();
