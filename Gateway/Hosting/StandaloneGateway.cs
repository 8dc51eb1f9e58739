using ChatCluster.Gateway.Cluster;
using ChatCluster.Gateway.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Gateway.Hosting;

/// <summary>
/// Builds the stand-alone gateway process: the WebSocket gateway and the health endpoints on ASP.NET Core, talking to
/// the cluster as an Orleans client that finds the silos' gateways in Redis (<c>UseOrleansClient</c> with Orleans'
/// Redis clustering). It hosts no grains: every frame becomes a call to a silo.
/// </summary>
public static class StandaloneGateway
{
    /// <summary>Where it listens unless <c>Urls</c> says otherwise.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5200";

    /// <summary>
    /// How often the client reads the silos' gateways from Redis (Orleans' default 1 min), so that a silo that joins
    /// takes this gateway's calls soon after.
    /// </summary>
    private static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is missing or out of range; the message names it.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        var settings = ClusterClientSettings.Read(builder.Configuration);
        builder.Services.AddSingleton<ClusterClientMember>();
        builder.Services.AddSingleton<IClusterMember>(provider => provider.GetRequiredService<ClusterClientMember>());
        builder.UseOrleansClient(client => client
            .UseRedisClustering(o => o.ConfigurationOptions = settings.Redis.Options())
            .Configure<Orleans.Configuration.ClusterOptions>(settings.Cluster.ApplyTo)
            .Configure<Orleans.Configuration.ClientMessagingOptions>(o => o.ResponseTimeout = settings.CallTimeout)
            .Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod)
            .UseConnectionRetryFilter<ClusterConnectionRetryFilter>()
            .Services.AddSingleton<IClusterConnectionStatusObserver>(provider => provider.GetRequiredService<ClusterClientMember>()));
        // After UseOrleansClient: the gateway registers its push observer once the client has connected, and deletes it
        // before the client stops.
        builder.Services.AddGateway(builder.Configuration);

        var app = builder.Build();
        var cluster = settings.Describe();
        GatewayLog.Starting(app.Logger, cluster);
        app.UseWebSockets();
        app.MapHealth();
        app.MapGateway();
        return app;
    }
}
