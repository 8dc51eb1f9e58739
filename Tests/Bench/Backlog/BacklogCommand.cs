using System.CommandLine;

namespace ChatCluster.Bench.Backlog;

/// <summary>The <c>backlog</c> subcommand: its options and their checks.</summary>
internal static class BacklogCommand
{
    public static Command Create()
    {
        var provider = new Option<string>("--provider")
        {
            Description = "The log: redis (a private redis-server with AOF, or --redis-endpoint) or kafka (the Kafka test broker: librdkafka's in-memory mock cluster)",
            DefaultValueFactory = _ => "redis",
        };
        provider.AcceptOnlyFromAmong("redis", "kafka");
        var messages = new Option<int>("--messages") { Description = "Messages in the backlog (timeline events published before any consumer runs)", DefaultValueFactory = _ => 1_000_000 };
        var timelines = new Option<int>("--timelines") { Description = "User timelines the messages are spread over (seq increasing per timeline)", DefaultValueFactory = _ => 10_000 };
        var publishers = new Option<int>("--publishers") { Description = "Concurrent publisher loops, each awaiting one publish at a time on its own timelines (must divide --timelines)", DefaultValueFactory = _ => 1_000 };
        var batchSize = new Option<int?>("--batch-size") { Description = "Override the persist reader's batch size (default: the silo's, LogReader.BatchSize)" };
        var persistOnly = new Option<bool>("--persist-only") { Description = "Phase 2 with the persist group alone (the silo also runs push, which reads the same backlog)" };
        var redisEndpoint = new Option<string?>("--redis-endpoint") { Description = "Use this Redis (host:port) instead of starting a private redis-server with appendonly yes" };
        var postgres = new Option<string?>("--postgres") { Description = "Use this PostgreSQL database (its messages table must be empty or missing) instead of starting a private server" };
        var partitions = new Option<int?>("--partitions") { Description = "Partitions of the log (default: the silo's, 8). The Kafka test broker keeps only 5 MiB a partition: 1,000,000 messages need 64" };
        var progressEvery = new Option<double>("--progress-seconds") { Description = "Seconds between progress lines", DefaultValueFactory = _ => 3 };
        var command = new Command("backlog", "Time to drain a backlog of timeline events from Redis Streams or Kafka into PostgreSQL with the persistence consumer, wired as the silo wires it")
        {
            provider, messages, timelines, publishers, batchSize, persistOnly, redisEndpoint, postgres, partitions, progressEvery,
        };
        command.SetAction(async (parse, _) =>
        {
            var settings = new BacklogSettings(
                parse.GetValue(provider)!, parse.GetValue(messages), parse.GetValue(timelines), parse.GetValue(publishers), parse.GetValue(batchSize), parse.GetValue(persistOnly),
                parse.GetValue(redisEndpoint), parse.GetValue(postgres), parse.GetValue(partitions), TimeSpan.FromSeconds(parse.GetValue(progressEvery)));
            if (settings.RedisEndpoint is not null && settings.Provider != "redis")
            {
                await Console.Error.WriteLineAsync("--redis-endpoint needs --provider redis.");
                return 2;
            }

            if (settings.Messages < 1 || settings.Timelines < 1 || settings.Publishers < 1 || settings.Timelines % settings.Publishers != 0
                || settings.BatchSize is < 1 || settings.Partitions is < 1 or > 1024 || settings.ProgressEvery <= TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync("need --messages, --timelines, --publishers >= 1, --publishers dividing --timelines, --batch-size >= 1, --partitions 1-1024, --progress-seconds > 0.");
                return 2;
            }

            return await BacklogBench.RunAsync(settings, Console.Out);
        });
        return command;
    }
}
