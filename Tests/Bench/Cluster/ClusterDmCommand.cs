using System.CommandLine;

namespace ChatCluster.Bench.Cluster;

/// <summary>The <c>cluster-dm</c> subcommand: its options and their checks.</summary>
internal static class ClusterDmCommand
{
    public static Command Create()
    {
        var gateway = new Option<string?>("--gateway")
        {
            Description = "Gateways of a running cluster with development tokens on, comma-separated (e.g. the ones `bash infra/cluster.sh up 3 2` prints: "
                + "http://127.0.0.1:5200,http://127.0.0.1:5201); default: start Redis, PostgreSQL, the silos and gateways here",
        };
        var provider = new Option<string>("--provider")
        {
            Description = "The timeline log of the started cluster: redis (Redis Streams on the cluster's Redis) or kafka (the Kafka test broker: librdkafka's "
                + "in-memory mock cluster, the topic created with 8 partitions; Redis still holds the membership)",
            DefaultValueFactory = _ => "redis",
        };
        provider.AcceptOnlyFromAmong("redis", "kafka");
        var silos = new Option<int>("--silos") { Description = "Silo processes to start (without --gateway)", DefaultValueFactory = _ => 3 };
        var gateways = new Option<int>("--gateways") { Description = "Gateway processes to start (without --gateway); 0: the clients connect to the silos, which serve WebSockets too", DefaultValueFactory = _ => 2 };
        var users = new Option<int>("--users") { Description = "Connected users, spread over the gateways (user i on gateway i mod count); user i sends to user i+1", DefaultValueFactory = _ => 200 };
        var window = new Option<int>("--window") { Description = "Sends in flight per user (closed loop)", DefaultValueFactory = _ => 4 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration after the warm-up", DefaultValueFactory = _ => 15 };
        var warmup = new Option<double>("--warmup-seconds")
        {
            Description = "Sending before the measurement starts (a fresh cluster is much slower for its first seconds: JIT, activations, connection pools)",
            DefaultValueFactory = _ => 10,
        };
        var command = new Command("cluster-dm", "End-to-end DM throughput and ack latency through a local cluster of silo and gateway processes, with the C# client")
        {
            gateway, provider, silos, gateways, users, window, seconds, warmup,
        };
        command.SetAction(async (parse, _) =>
        {
            var servers = new List<Uri>();
            foreach (var text in (parse.GetValue(gateway) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(text, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
                {
                    await Console.Error.WriteLineAsync($"--gateway must list absolute http(s) addresses, and '{text}' is not one.");
                    return 2;
                }

                servers.Add(server);
            }

            var settings = new ClusterDmBench.Settings(servers, parse.GetValue(provider)!, parse.GetValue(silos), parse.GetValue(gateways), parse.GetValue(users), parse.GetValue(window), parse.GetValue(seconds), parse.GetValue(warmup));
            if (settings.Silos < 1 || settings.GatewayProcesses < 0 || settings.Users < 2 || settings.Window < 1 || settings.Seconds <= 0 || settings.WarmupSeconds < 0)
            {
                await Console.Error.WriteLineAsync("need --silos >= 1, --gateways >= 0, --users >= 2, --window >= 1, --seconds > 0, --warmup-seconds >= 0.");
                return 2;
            }

            return await ClusterDmBench.RunAsync(settings, Console.Out);
        });
        return command;
    }
}
