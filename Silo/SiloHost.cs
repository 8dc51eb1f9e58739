using ChatCluster.Gateway;
using ChatCluster.Grains;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Silo.Configuration;
using ChatCluster.Silo.Health;

namespace ChatCluster.Silo;

/// <summary>
/// Builds the process's web application. A silo (the default): runtime, chat, storage, the WebSocket
/// gateway and the health endpoint. A gateway process (<c>ChatCluster:Cluster:Role=Client</c>): the
/// WebSocket gateway and health only, calling the silos. Program runs it; tests build it in their own
/// process with their own settings.
/// </summary>
public static class SiloHost
{
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (SiloConfiguration.IsGatewayProcess(builder.Configuration))
        {
            // A gateway process: WebSockets in, grain calls out to the silos; no grains, storage or log of its own.
            builder.Services
                .AddGrainRuntime(builder.Configuration)
                .AddConfiguredClusterClient(builder.Configuration)
                .AddGateway(builder.Configuration);
        }
        else
        {
            var storage = SiloConfiguration.ReadStorage(builder.Configuration);
            builder.Services
                .AddGrainRuntime(builder.Configuration)
                .AddChat(builder.Configuration)
                .AddConfiguredStorage(storage)
                .AddConfiguredStreams(builder.Configuration, storage)
                .AddConfiguredClustering(builder.Configuration, storage)
                .AddPush()
                .AddGateway(builder.Configuration);
        }

        var app = builder.Build();
        app.UseWebSockets();
        app.MapHealth();
        app.MapGateway();
        return app;
    }
}
