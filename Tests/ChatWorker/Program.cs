using ChatCluster.Grains;
using ChatCluster.Silo.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: ChatCluster.ChatWorker DATA_DIR
// An embedded chat silo (SQLite state, log and messages in DATA_DIR, wired as the real silo) under steady load: 10 users
// send group and direct messages concurrently, and every ack is printed as
//   ACK <timeline> <seq> <msgId> <clientMsgId>
// the moment it is received. It runs until killed; the crash tests kill it with SIGKILL.
if (args.Length != 1)
{
    await Console.Error.WriteLineAsync("usage: ChatCluster.ChatWorker DATA_DIR");
    return 2;
}

var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ChatCluster:Storage:SqliteDirectory"] = args[0],
    ["ChatCluster:Chat:SequenceStep"] = "100",
}).Build();
var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.UseOrleans(silo => silo.AddEmbeddedChatSilo(SiloSettings.Read(configuration)));
using var host = builder.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

var users = Enumerable.Range(0, 10).Select(i => $"w{i}").ToList();
await grains.GetGrain<IGroupGrain>("crash").Create(users[0], users);
var output = Console.Out;
var gate = new object();
Console.WriteLine("READY");

await Task.WhenAll(users.Select((user, index) => Task.Run(async () =>
{
    for (var n = 0; ; n++)
    {
        var clientMsgId = $"{user}-{n}";
        var result = n % 2 == 0
            ? await grains.GetGrain<IGroupGrain>("crash").Send(user, clientMsgId, """{"text":"g"}""", null)
            : await grains.GetGrain<IUserGrain>(user).SendDirect(users[(index + 1) % users.Count], clientMsgId, """{"text":"d"}""", null);
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
