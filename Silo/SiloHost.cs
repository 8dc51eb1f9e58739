using ChatCluster.Gateway;
using ChatCluster.Gateway.Health;
using ChatCluster.Silo.Configuration;
using ChatCluster.Silo.Health;
using ChatCluster.Streams;

namespace ChatCluster.Silo;

/// <summary>
/// Builds the process's web application: an Orleans silo (the chat grains, their storage, the timeline log and its
/// consumers) with the WebSocket gateway and the health endpoints co-hosted. Program runs it; tests build it in their
/// own process with their own settings.
/// </summary>
public static class SiloHost
{
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // No reload of appsettings on change: its watcher covers the content root and all below it, where the embedded
        // SQLite files live, so every write woke it (measured: 8 % of the silo's CPU under load). Settings change with a restart.
        var builder = WebApplication.CreateBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
        configure?.Invoke(builder);
        var settings = SiloSettings.Read(builder.Configuration);
        builder.UseOrleans(silo => silo.AddConfiguredChatSilo(settings));
        // After UseOrleans: the gateway registers its push observer once the silo has started.
        builder.Services.AddGateway(builder.Configuration);
        builder.Services.AddSingleton(provider => provider.GetRequiredService<StreamConsumerLag>().Meter);
        builder.Services.AddSingleton<IClusterMember, SiloMember>();
        builder.Services.AddSingleton(StreamMetrics.Meter);

        var app = builder.Build();
        var storage = settings.Describe();
        SiloLog.Starting(app.Logger, storage);
        app.UseWebSockets();
        app.MapHealth();
        app.MapGateway();
        return app;
    }
}
