using System.CommandLine;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>The <c>remote-calls</c> subcommand and the hidden <c>remote-calls-server</c> it starts as its second silo.</summary>
internal static class RemoteCallsCommand
{
    public static Command Create()
    {
        var grains = new Option<int>("--grains") { Description = "Grain activations on the server silo to spread calls over", DefaultValueFactory = _ => 1_000 };
        var callers = new Option<int>("--callers") { Description = "Closed loop: concurrent caller loops, each awaiting one call at a time", DefaultValueFactory = _ => 500 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration of each phase after warm-up", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "Open loop: calls per second; 0 = half the closed-loop rate just measured", DefaultValueFactory = _ => 0 };
        var inProcess = new Option<bool>("--in-process") { Description = "Run the server silo in this process instead of a child process" };
        var command = new Command("remote-calls",
            "Cross-silo no-op grain calls: calls/s at saturation (closed loop), then p50/p99 latency at a fixed rate (open loop), between two silo processes over the transport")
        {
            grains, callers, seconds, rate, inProcess,
        };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(grains) < 1 || parse.GetValue(callers) < 1 || parse.GetValue(seconds) <= 0 || parse.GetValue(rate) < 0)
            {
                await Console.Error.WriteLineAsync("--grains and --callers must be at least 1, --seconds more than 0, --rate 0 or more.");
                return 2;
            }

            return await RemoteCallBench.RunAsync(
                new RemoteCallSettings(parse.GetValue(grains), parse.GetValue(callers), parse.GetValue(seconds), parse.GetValue(rate), parse.GetValue(inProcess)),
                Console.Out);
        });
        return command;
    }

    public static Command Server()
    {
        var port = new Option<int>("--port") { Description = "Transport port; 0 = a free one", DefaultValueFactory = _ => 0 };
        var command = new Command("remote-calls-server", "The server silo of remote-calls: prints its endpoint, serves until stdin closes") { port };
        command.Hidden = true;
        command.SetAction(async (parse, _) => await RemoteCallServer.RunAsync(parse.GetValue(port), Console.Out));
        return command;
    }
}
