using System.CommandLine;

namespace ChatCluster.Bench.WebSockets;

/// <summary>The benches over real WebSockets: <c>ws-connections</c> and <c>ws-dm</c>.</summary>
internal static class WebSocketCommands
{
    public static Command Connections()
    {
        var connections = new Option<int>("--connections") { Description = "WebSocket connections to open and hold", DefaultValueFactory = _ => 5_000 };
        var users = new Option<int>("--users") { Description = "Distinct users the connections belong to (default: one per connection)" };
        var hold = new Option<double>("--hold-seconds") { Description = "How long to hold them all open", DefaultValueFactory = _ => 60 };
        var concurrency = new Option<int>("--concurrency") { Description = "Connections being opened at once", DefaultValueFactory = _ => 100 };
        var addresses = new Option<int>("--source-addresses") { Description = "Client source addresses 127.0.0.2, 127.0.0.3, …", DefaultValueFactory = _ => 4 };
        var pingEvery = new Option<double>("--ping-every") { Description = "Seconds between one connection's app-level pings", DefaultValueFactory = _ => 20 };
        var keepAlive = new Option<double>("--keep-alive-seconds") { Description = "KeepAliveInterval of the silo the bench starts (its IdleTimeout is three times that)", DefaultValueFactory = _ => 10 };
        var url = new Option<string?>("--url") { Description = "A running silo to use instead of starting one (needs --pid and --signing-key)" };
        var pid = new Option<int?>("--pid") { Description = "The process id of the silo at --url, for its RSS" };
        var key = new Option<string?>("--signing-key") { Description = "The HS256 key of the silo at --url" };
        var command = new Command("ws-connections", "Idle heartbeating WebSocket connections held by one gateway process, and its memory per connection")
        {
            connections, users, hold, concurrency, addresses, pingEvery, keepAlive, url, pid, key,
        };
        command.SetAction(async (parse, _) =>
        {
            var settings = new WebSocketBenchSettings(
                parse.GetValue(connections),
                parse.GetValue(users) is > 0 and var u ? u : parse.GetValue(connections),
                parse.GetValue(hold),
                parse.GetValue(concurrency),
                parse.GetValue(addresses),
                parse.GetValue(pingEvery),
                TimeSpan.FromSeconds(parse.GetValue(keepAlive)),
                parse.GetValue(url) is { } u2 ? new Uri(u2) : null,
                parse.GetValue(pid),
                parse.GetValue(key));
            if (settings.Connections < 1 || settings.Users < 1 || settings.HoldSeconds <= 0 || settings.Concurrency < 1
                || settings.SourceAddresses is < 1 or > 250 || settings.PingEverySeconds < 1 || settings.KeepAliveInterval <= TimeSpan.Zero
                || (settings.Url is not null && (settings.Pid is null || settings.SigningKey is null)))
            {
                await Console.Error.WriteLineAsync("need --connections, --users, --concurrency >= 1, --hold-seconds and --keep-alive-seconds > 0, "
                    + "--ping-every >= 1, 1 <= --source-addresses <= 250, and --pid with --signing-key when --url is given.");
                return 2;
            }

            return await WebSocketBench.RunAsync(settings, Console.Out);
        });
        return command;
    }

    public static Command DirectMessages()
    {
        var url = new Option<string?>("--url")
        {
            Description = "Running gateways with development tokens on, comma-separated, e.g. http://127.0.0.1:5200,http://127.0.0.1:5201 "
                + "(user i connects to gateway i mod count; default: start the silo here)",
        };
        var users = new Option<int>("--users") { Description = "Connected users; user i sends to user i+1", DefaultValueFactory = _ => 200 };
        var window = new Option<int>("--window") { Description = "Closed loop: sends in flight per user", DefaultValueFactory = _ => 4 };
        var rate = new Option<double?>("--rate") { Description = "Open loop: total sends per second on a fixed schedule (latency mode)" };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration after a 2 s warm-up", DefaultValueFactory = _ => 10 };
        var command = new Command("ws-dm", "End-to-end DM throughput and ack latency over WebSockets, with the C# client") { url, users, window, rate, seconds };
        command.SetAction(async (parse, _) =>
        {
            var servers = new List<Uri>();
            foreach (var text in (parse.GetValue(url) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
                {
                    await Console.Error.WriteLineAsync($"--url must list absolute http(s) addresses, and '{text}' is not one.");
                    return 2;
                }

                servers.Add(server);
            }

            var settings = new DirectMessagesBench.Settings(
                servers, parse.GetValue(users), parse.GetValue(window), parse.GetValue(seconds), parse.GetValue(rate));
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
