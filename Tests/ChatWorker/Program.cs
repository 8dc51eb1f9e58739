using ChatCluster.Grains;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Usage: ChatCluster.ChatWorker DATA_DIR
// An embedded chat (SQLite state, log and messages in DATA_DIR) under steady load: 10 users send
// group and direct messages concurrently, and every ack is printed as
//   ACK <timeline> <seq> <msgId> <clientMsgId>
// the moment it is received. It runs until killed; the crash tests kill it with SIGKILL.
if (args.Length != 1)
{
    await Console.Error.WriteLineAsync("usage: ChatCluster.ChatWorker DATA_DIR");
    return 2;
}

var directory = args[0];
var services = new ServiceCollection();
services.AddLogging(logging => logging.AddConsole().SetMinimumLevel(LogLevel.Warning));
services.AddGrainRuntime()
    .AddChat(configure: o => o.SequenceStep = 100)
    .AddSqliteStreams(Path.Combine(directory, "log.db"))
    .AddSqliteGrainStorage(Path.Combine(directory, "state.db"))
    .AddSqliteMessageStore(Path.Combine(directory, "messages.db"));
await using var provider = services.BuildServiceProvider();
var runtime = provider.GetRequiredService<GrainRuntime>();
await runtime.StartAsync(CancellationToken.None);

var users = Enumerable.Range(0, 10).Select(i => $"w{i}").ToList();
await runtime.GetGrain<IGroupGrain>("crash").Create(users[0], users);
var output = Console.Out;
var gate = new object();
Console.WriteLine("READY");

await Task.WhenAll(users.Select((user, index) => Task.Run(async () =>
{
    for (var n = 0; ; n++)
    {
        var clientMsgId = $"{user}-{n}";
        var result = n % 2 == 0
            ? await runtime.GetGrain<IGroupGrain>("crash").Send(user, clientMsgId, """{"text":"g"}""", null)
            : await runtime.GetGrain<IUserGrain>(user).SendDirect(users[(index + 1) % users.Count], clientMsgId, """{"text":"d"}""", null);
        if (result.Ack is { } ack)
        {
            lock (gate)
            {
                output.WriteLine($"ACK {ack.Timeline} {ack.Seq} {ack.MsgId} {clientMsgId}");
                output.Flush();
            }
        }
    }
})));
return 0;
