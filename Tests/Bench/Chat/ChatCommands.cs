using System.CommandLine;

namespace ChatCluster.Bench.Chat;

/// <summary>The <c>chat-dm</c> and <c>chat-fanout</c> subcommands.</summary>
internal static class ChatCommands
{
    public static Command DirectMessages()
    {
        var senders = new Option<int>("--senders") { Description = "Users sending at once, each one message at a time", DefaultValueFactory = _ => 1_000 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration", DefaultValueFactory = _ => 10 };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string for state and messages (default: SQLite files)" };
        var command = new Command("chat-dm", "Durable direct-message sends per second at grain level (no WebSocket)") { senders, seconds, postgres };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(senders) < 2 || parse.GetValue(seconds) <= 0)
            {
                await Console.Error.WriteLineAsync("--senders must be at least 2 and --seconds more than 0.");
                return 2;
            }

            return await ChatBench.DirectMessagesAsync(parse.GetValue(senders), parse.GetValue(seconds), parse.GetValue(postgres), Console.Out);
        });
        return command;
    }

    public static Command FanOut()
    {
        var members = new Option<int>("--members") { Description = "Group size", DefaultValueFactory = _ => 5_000 };
        var online = new Option<int>("--online") { Description = "Members with a connected session", DefaultValueFactory = _ => 1_000 };
        var messages = new Option<int>("--messages") { Description = "Messages sent to the group", DefaultValueFactory = _ => 300 };
        var command = new Command("chat-fanout", "Group fan-out: deliveries per second to the push seam") { members, online, messages };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(members) < 2 || parse.GetValue(online) < 1 || parse.GetValue(online) >= parse.GetValue(members) || parse.GetValue(messages) < 1)
            {
                await Console.Error.WriteLineAsync("need --members >= 2, 1 <= --online < --members, --messages >= 1.");
                return 2;
            }

            return await ChatBench.FanOutAsync(parse.GetValue(members), parse.GetValue(online), parse.GetValue(messages), Console.Out);
        });
        return command;
    }
}
