using ChatCluster.Gateway.Cluster;
using ChatCluster.Silo.Configuration;
using ChatCluster.Streams;
using Orleans.TestingHost;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// An Orleans test cluster (one silo unless asked for more) wired as the real silo is, on a <see cref="ChatStore"/>,
/// with its client acting as the gateways: <see cref="Gateway"/> registers a recording <see cref="IGatewayObserver"/>.
/// </summary>
internal sealed class ChatSilo : IAsyncDisposable
{
    private readonly List<RecordingGateway> gateways = [];

    private ChatSilo(InProcessTestCluster cluster)
    {
        Cluster = cluster;
    }

    public InProcessTestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.Client;

    public IUserGrain User(string id) => Grains.GetGrain<IUserGrain>(id);

    public IGroupGrain Group(string id) => Grains.GetGrain<IGroupGrain>(id);

    /// <summary>A service of the first silo.</summary>
    public T Service<T>() where T : notnull => (T)Cluster.Silos[0].ServiceProvider.GetService(typeof(T))!;

    /// <param name="store">Where the chat keeps its data.</param>
    /// <param name="chat">Settings of <c>ChatCluster:Chat</c>, e.g. <c>["RecentMessages"] = "5"</c>.</param>
    /// <param name="silos">Silos of the cluster; several only on PostgreSQL (SQLite files have one writer per process each).</param>
    /// <param name="extraReaders">Consumer groups to add to the log beside the chat's own.</param>
    /// <param name="configure">More wiring after the chat's, e.g. a service that replaces one of the chat's.</param>
    public static async Task<ChatSilo> StartAsync(
        ChatStore store, IDictionary<string, string?>? chat = null, short silos = 1, LogReader[]? extraReaders = null, Action<ISiloBuilder>? configure = null)
    {
        var settings = store.Settings(chat);
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ServiceId = ClusterIdentity.ServiceId; // as the real silo: stored state is keyed by it
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddChatSilo(settings, extraReaders ?? []);
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new ChatSilo(cluster);
    }

    /// <summary>A gateway stand-in: a push observer registered through the cluster's client.</summary>
    public RecordingGateway Gateway()
    {
        var gateway = new RecordingGateway(Grains);
        gateways.Add(gateway);
        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in gateways)
        {
            gateway.Dispose();
        }

        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
