using System.CommandLine;

namespace ChatCluster.Bench.Redis;

/// <summary>The <c>redis</c> subcommand: its options and their checks.</summary>
internal static class RedisCommand
{
    public static Command Create()
    {
        var callers = new Option<int>("--callers") { Description = "Concurrent caller loops on the one connection, each awaiting one command at a time", DefaultValueFactory = _ => 100 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration of each phase (SET, then INCR) after warm-up", DefaultValueFactory = _ => 10 };
        var valueSize = new Option<int>("--value-size") { Description = "Bytes per SET value", DefaultValueFactory = _ => 16 };
        var command = new Command("redis", "Pipelined SET and INCR per second from concurrent callers on one Redis connection (a private redis-server)")
        {
            callers, seconds, valueSize,
        };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(callers) < 1 || parse.GetValue(seconds) <= 0 || parse.GetValue(valueSize) < 0)
            {
                await Console.Error.WriteLineAsync("--callers must be at least 1, --seconds more than 0, --value-size 0 or more.");
                return 2;
            }

            return await RedisBench.RunAsync(parse.GetValue(callers), parse.GetValue(seconds), parse.GetValue(valueSize), Console.Out);
        });
        return command;
    }
}
