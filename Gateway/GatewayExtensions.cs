using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Configuration;
using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Endpoints;
using ChatCluster.Gateway.Limits;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Gateway.Push;
using ChatCluster.Gateway.Upgrades;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway;

/// <summary>
/// Adds the WebSocket gateway to a process: its services, its push observer (which the push consumers on any
/// silo deliver through), and its endpoints.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>1012, PROTOCOL.md's close code for a draining gateway; WebSocketCloseStatus has no name for it.</summary>
    private const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    /// <summary>
    /// Hosts the gateway beside an Orleans silo or client of the same host (register it after <c>UseOrleans</c> or
    /// <c>UseOrleansClient</c>, so that its push observer is registered once Orleans has started). Settings from
    /// <c>ChatCluster:Gateway</c> of <paramref name="configuration"/>, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is missing or out of range; the message names it.</exception>
    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration? configuration = null, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = CheckedSettings.Read(configuration, GatewayOptions.Section, configure, o => o.Validate());

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TokenService>();
        services.AddSingleton<FrameDispatcher>();
        services.AddSingleton<SendRateLimiter>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton(provider => provider.GetRequiredService<GatewayMetrics>().Meter);
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddHostedService<GatewayObserverRegistration>();
        if (options.UpgradeOnConnection)
        {
            services.Configure<KestrelServerOptions>(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
                listen.Use(next => new ConnectionUpgradeMiddleware(next, listen.ApplicationServices).OnConnectionAsync)));
        }

        return services;
    }

    /// <summary>Maps <c>GET /ws</c>, <c>GET /</c> (demo page), <c>GET /metrics</c> and, when dev tokens are on, <c>POST /api/dev/token</c>. Call after <c>UseWebSockets</c>.</summary>
    public static IEndpointRouteBuilder MapGateway(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<GatewayOptions>();
        // Built now, so a generated dev key is logged at start, not at the first request.
        services.GetRequiredService<TokenService>();

        var registry = services.GetRequiredService<ConnectionRegistry>();
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(
            () => registry.CloseAll(ServiceRestart, "the gateway is draining; reconnect"));

        endpoints.Map("/ws", (HttpContext context, WebSocketEndpoint endpoint) => endpoint.HandleAsync(context));
        endpoints.MapGet("/", DemoPageEndpoint.Handle);
        // Built now, so measurements from the first connection on are counted.
        services.GetRequiredService<MetricsCollector>();
        endpoints.MapGet("/metrics", MetricsEndpoint.Handle);
        if (options.DevTokens)
        {
            endpoints.MapPost("/api/dev/token", DevTokenEndpoint.HandleAsync);
        }

        return endpoints;
    }
}
