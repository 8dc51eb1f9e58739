using System.CommandLine;

namespace ChatCluster.Bench.WebSockets;

/// <summary>The benches that go through a running gateway over WebSockets.</summary>
internal static class WebSocketCommands
{
    public static Command DirectMessages()
    {
        var url = new Option<string>("--url") { Description = "The gateway's HTTP address (development tokens on)", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var users = new Option<int>("--users") { Description = "Connected users; user i sends to user i+1", DefaultValueFactory = _ => 200 };
        var window = new Option<int>("--window") { Description = "Closed loop: sends in flight per user", DefaultValueFactory = _ => 4 };
        var rate = new Option<double?>("--rate") { Description = "Open loop: total sends per second on a fixed schedule (latency mode)" };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration after a 2 s warm-up", DefaultValueFactory = _ => 10 };
        var command = new Command("ws-dm", "End-to-end DM throughput and ack latency through a running gateway") { url, users, window, rate, seconds };
        command.SetAction(async (parse, _) =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
            {
                await Console.Error.WriteLineAsync($"--url must be an absolute http(s) address, not '{parse.GetValue(url)}'.");
                return 2;
            }

            var settings = new DirectMessagesBench.Settings(
                server, parse.GetValue(users), parse.GetValue(window), parse.GetValue(seconds), parse.GetValue(rate));
            if (settings.Users < 2 || settings.Window < 1 || settings.Seconds <= 0 || settings.Rate is <= 0)
            {
                await Console.Error.WriteLineAsync("need --users >= 2, --window >= 1, --seconds > 0, --rate > 0.");
                return 2;
            }

            return await DirectMessagesBench.RunAsync(settings, Console.Out);
        });
        return command;
    }
}
