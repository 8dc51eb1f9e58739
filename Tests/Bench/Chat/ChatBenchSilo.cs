using ChatCluster.Grains;
using ChatCluster.Silo.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Bench.Chat;

/// <summary>
/// An embedded chat silo for benches, wired as the real silo: the log in SQLite; state and messages in SQLite, or in
/// PostgreSQL when a connection string is given. Its pushes go to one counting gateway observer.
/// </summary>
internal sealed class ChatBenchSilo : IAsyncDisposable
{
    private readonly IHost host;
    private readonly string directory;
    private readonly IGatewayObserver gatewayReference;

    private ChatBenchSilo(IHost host, string directory)
    {
        this.host = host;
        this.directory = directory;
        Grains = host.Services.GetRequiredService<IGrainFactory>();
        gatewayReference = Grains.CreateObjectReference<IGatewayObserver>(Gateway);
        GatewayId = gatewayReference.GetGrainId().ToString();
    }

    public IGrainFactory Grains { get; }

    public CountingGateway Gateway { get; } = new();

    /// <summary>The gateway id of sessions whose pushes <see cref="Gateway"/> counts.</summary>
    public string GatewayId { get; }

    public static async Task<ChatBenchSilo> StartAsync(string? postgres)
    {
        var directory = Directory.CreateTempSubdirectory("chatcluster-bench-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Storage:SqliteDirectory"] = directory,
            ["ChatCluster:Storage:Provider"] = postgres is null ? "Sqlite" : "Postgres",
            ["ChatCluster:Storage:PostgresConnectionString"] = postgres,
        }).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.AddEmbeddedChatSilo(SiloSettings.Read(configuration)));
        var host = builder.Build();
        await host.StartAsync();
        return new ChatBenchSilo(host, directory);
    }

    public async ValueTask DisposeAsync()
    {
        Grains.DeleteObjectReference<IGatewayObserver>(gatewayReference);
        await host.StopAsync();
        host.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
