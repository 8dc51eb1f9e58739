using System.Net.WebSockets;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Endpoints;
using ChatCluster.Gateway.Limits;
using ChatCluster.Gateway.Metrics;
using ChatCluster.Grains;
using ChatCluster.Gateway.Push;
using ChatCluster.Grains.Push;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Transport;
using Microsoft.Extensions.Logging;
using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway;

/// <summary>
/// Adds the WebSocket gateway to a process: its services, its push delivery (the seam the push handler of
/// a silo uses, and the pinned <see cref="IGatewayGrain"/> other processes push through), and its endpoints.
/// </summary>
public static class GatewayExtensions
{
    /// <summary>1012, PROTOCOL.md's close code for a draining gateway; WebSocketCloseStatus has no name for it.</summary>
    private const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    /// <summary>
    /// Hosts the gateway and pushes messages to its connections. Settings from <c>ChatCluster:Gateway</c>
    /// of <paramref name="configuration"/>, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is missing or out of range; the message names it.</exception>
    public static GrainRuntimeBuilder AddGateway(this GrainRuntimeBuilder builder, IConfiguration? configuration = null, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = CheckedSettings.Read(configuration, GatewayOptions.Section, configure, o => o.Validate());

        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TokenService>();
        services.AddSingleton<FrameDispatcher>();
        services.AddSingleton<SendRateLimiter>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton(provider => new ConnectionRegistry(
            provider.GetRequiredService<GatewayOptions>(), provider.GetRequiredService<GatewayMetrics>(), NewGatewayId(provider)));
        services.AddSingleton<IMessageDelivery>(provider => new PushDelivery(
            provider.GetRequiredService<ConnectionRegistry>(),
            provider.GetRequiredService<IGrainFactory>(),
            clustered: provider.GetService<TransportOptions>() is not null,
            provider.GetRequiredService<ILogger<PushDelivery>>()));
        // Other processes push to this gateway's connections through its pinned grain.
        return builder.AddGrains(typeof(GatewayGrain).Assembly);
    }

    /// <summary>A new id for this run of the gateway; with a transport it starts with the endpoint other processes push to.</summary>
    private static string NewGatewayId(IServiceProvider provider)
    {
        var run = Guid.NewGuid().ToString("N");
        return provider.GetService<TransportOptions>() is { } transport
            ? $"{new SiloAddress(transport.ListenAddress, transport.Port, 0).Endpoint}/{run}"
            : run;
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
