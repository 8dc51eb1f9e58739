using System.CommandLine;

namespace ChatCluster.Bench.Streams;

/// <summary>The <c>streams</c> subcommand: its options and their checks.</summary>
internal static class StreamsCommand
{
    public static Command Create()
    {
        var provider = new Option<string>("--provider") { Description = "The log: sqlite (a temporary file), redis (a private redis-server with AOF, or --redis-endpoint) or kafka (the Kafka test broker: librdkafka's in-memory mock cluster)", DefaultValueFactory = _ => "sqlite" };
        provider.AcceptOnlyFromAmong("sqlite", "redis", "kafka");
        var redisEndpoint = new Option<string?>("--redis-endpoint") { Description = "With --provider redis: use this Redis (host:port) instead of starting a private redis-server" };
        var publishers = new Option<int>("--publishers") { Description = "Concurrent publisher loops, each awaiting one publish at a time on its own stream", DefaultValueFactory = _ => 1_000 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration after warm-up", DefaultValueFactory = _ => 10 };
        var partitions = new Option<int>("--partitions")
        {
            Description = "Partitions of the log. The Kafka test broker keeps only 5 MiB or 100,000 records a partition: with 8, readers that fall behind lose records",
            DefaultValueFactory = _ => 8,
        };
        var command = new Command("streams", "Durable appends per second through Orleans persistent streams over our log, and events per second delivered to two consumer groups")
        {
            provider, publishers, seconds, partitions, redisEndpoint,
        };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(publishers) < 1 || parse.GetValue(seconds) <= 0 || parse.GetValue(partitions) is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync("--publishers must be at least 1, --seconds more than 0, --partitions 1 to 1024.");
                return 2;
            }

            if (parse.GetValue(redisEndpoint) is not null && parse.GetValue(provider) != "redis")
            {
                await Console.Error.WriteLineAsync("--redis-endpoint needs --provider redis.");
                return 2;
            }

            return await StreamBench.RunAsync(parse.GetValue(provider)!, parse.GetValue(publishers), parse.GetValue(seconds), parse.GetValue(partitions), parse.GetValue(redisEndpoint), Console.Out);
        });
        return command;
    }
}
