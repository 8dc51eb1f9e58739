using ChatCluster.Grains;
using ChatCluster.Grains.Push;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Bench.Chat;

/// <summary>An embedded chat for benches: the log in SQLite; state and messages in SQLite, or in PostgreSQL when a connection string is given.</summary>
internal sealed class ChatBenchSilo : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly string directory;

    private ChatBenchSilo(ServiceProvider services, string directory)
    {
        this.services = services;
        this.directory = directory;
        Runtime = services.GetRequiredService<GrainRuntime>();
        Delivery = (CountingDelivery)services.GetRequiredService<IMessageDelivery>();
    }

    public GrainRuntime Runtime { get; }

    public CountingDelivery Delivery { get; }

    public static async Task<ChatBenchSilo> StartAsync(string? postgres)
    {
        var directory = Directory.CreateTempSubdirectory("chatcluster-bench-").FullName;
        var collection = new ServiceCollection();
        collection.AddLogging();
        var builder = collection.AddGrainRuntime()
            .AddChat()
            .AddPush<CountingDelivery>()
            .AddSqliteStreams(Path.Combine(directory, "log.db"));
        if (postgres is null)
        {
            builder.AddSqliteGrainStorage(Path.Combine(directory, "state.db")).AddSqliteMessageStore(Path.Combine(directory, "messages.db"));
        }
        else
        {
            builder.AddPostgresGrainStorage(postgres).AddPostgresMessageStore(postgres);
        }

        var silo = new ChatBenchSilo(collection.BuildServiceProvider(), directory);
        await silo.Runtime.StartAsync(CancellationToken.None);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.StopAsync(CancellationToken.None);
        await services.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }
}
