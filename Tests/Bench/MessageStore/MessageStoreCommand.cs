using System.CommandLine;

namespace ChatCluster.Bench.MessageStore;

/// <summary>The <c>message-store</c> subcommand: its options and their checks.</summary>
internal static class MessageStoreCommand
{
    public static Command Create()
    {
        var store = new Option<string>("--store") { Description = "The store to write: sqlite (a temporary file) or postgres", Required = true };
        store.AcceptOnlyFromAmong(MessageStoreBench.Sqlite, MessageStoreBench.Postgres);
        var messages = new Option<int>("--messages") { Description = "Messages to insert", DefaultValueFactory = _ => 200_000 };
        var batch = new Option<int>("--batch") { Description = "Messages per InsertAsync call", DefaultValueFactory = _ => 500 };
        var connectionString = new Option<string?>("--connection-string") { Description = "PostgreSQL connection string (required for postgres; the bench starts no server)" };
        var command = new Command("message-store", "Message-store batch inserts per second (SQLite or PostgreSQL)") { store, messages, batch, connectionString };
        command.SetAction(async (parse, _) =>
        {
            if (parse.GetValue(messages) < 1 || parse.GetValue(batch) < 1)
            {
                await Console.Error.WriteLineAsync("--messages and --batch must be at least 1.");
                return 2;
            }

            var kind = parse.GetValue(store)!;
            var postgres = parse.GetValue(connectionString);
            if (kind == MessageStoreBench.Postgres && string.IsNullOrWhiteSpace(postgres))
            {
                await Console.Error.WriteLineAsync("--store postgres needs --connection-string: the bench does not start a PostgreSQL server.");
                return 2;
            }

            return await MessageStoreBench.RunAsync(kind, parse.GetValue(messages), parse.GetValue(batch), postgres, Console.Out);
        });
        return command;
    }
}
