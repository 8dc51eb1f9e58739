using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>A silo with the chat grains, their store and handlers, and a recording push seam, in the test process.</summary>
internal sealed class ChatSilo : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private ChatSilo(ServiceProvider services)
    {
        this.services = services;
        Runtime = services.GetRequiredService<GrainRuntime>();
        Delivery = (RecordingDelivery)services.GetRequiredService<Push.IMessageDelivery>();
    }

    public GrainRuntime Runtime { get; }

    public IGrainFactory Grains => Runtime;

    public RecordingDelivery Delivery { get; }

    public IUserGrain User(string id) => Grains.GetGrain<IUserGrain>(id);

    public IGroupGrain Group(string id) => Grains.GetGrain<IGroupGrain>(id);

    public T Service<T>() where T : notnull => services.GetRequiredService<T>();

    public static async Task<ChatSilo> StartAsync(ChatStore store, Action<ChatOptions>? configure = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        var builder = collection.AddGrainRuntime().AddChat(configure: configure).AddPush<RecordingDelivery>();
        store.Configure(builder);
        var provider = collection.BuildServiceProvider();
        var silo = new ChatSilo(provider);
        await silo.Runtime.StartAsync(CancellationToken.None);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Runtime.StopAsync(timeout.Token);
        await services.DisposeAsync();
    }
}
