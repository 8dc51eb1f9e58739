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
        var client = new Option<bool>("--client") { Description = "Call from an Orleans client through the server's gateway instead of from a second silo" };
        var command = new Command("remote-calls",
            "Cross-silo no-op Orleans grain calls between two processes: calls/s at saturation (closed loop), then p50/p99 latency at a fixed rate (open loop)")
        {
            grains, callers, seconds, rate, client,
        };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(grains) < 1 || parse.GetValue(callers) < 1 || parse.GetValue(seconds) <= 0 || parse.GetValue(rate) < 0)
            {
                await Console.Error.WriteLineAsync("--grains and --callers must be at least 1, --seconds more than 0, --rate 0 or more.");
                return 2;
            }

            return await RemoteCallBench.RunAsync(
                new RemoteCallSettings(parse.GetValue(grains), parse.GetValue(callers), parse.GetValue(seconds), parse.GetValue(rate), parse.GetValue(client)),
                Console.Out);
        });
        return command;
    }

    public static Command Server()
    {
        var siloPort = new Option<int>("--silo-port") { Description = "Silo-to-silo port (loopback)", Required = true };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Client gateway port (loopback)", Required = true };
        var grains = new Option<int>("--grains") { Description = "Grains to activate here before reporting ready", DefaultValueFactory = _ => 1_000 };
        var command = new Command("remote-calls-server", "The server silo of remote-calls: activates its grains, prints a ready line, serves until stdin closes")
        {
            siloPort, gatewayPort, grains,
        };
        command.Hidden = true;
        command.SetAction(async (parse, _) => await RemoteCallServer.RunAsync(parse.GetValue(siloPort), parse.GetValue(gatewayPort), parse.GetValue(grains), Console.Out));
        return command;
    }
}
