using ChatCluster.Runtime;
using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Silo.Health;

/// <summary>
/// Probes for operators and orchestrators: <c>GET /healthz</c> (liveness: the process answers) and
/// <c>GET /readyz</c> (readiness: the grain runtime has started, in cluster mode the silo is an active
/// member — for a gateway process (cluster client): at least one silo is active — and the gateway is not
/// draining). In cluster mode both report the active silos this process sees.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (GrainRuntime runtime, IServiceProvider services) =>
            services.GetService<MembershipService>() is not { } membership
                ? Results.Json(new { status = "ok", activations = runtime.ActivationCount })
                : IsClient(services)
                    ? Results.Json(new { status = "ok", role = "client", endpoint = membership.Endpoint, activeSilos = membership.View.ActiveSilos.Count })
                    : Results.Json(new { status = "ok", activations = runtime.ActivationCount, silo = membership.Address.ToString(), activeSilos = membership.View.ActiveSilos.Count }));
        endpoints.MapGet("/readyz", Ready);
        return endpoints;
    }

    private static bool IsClient(IServiceProvider services) => services.GetService<ClusterOptions>()?.Role == ClusterRole.Client;

    private static IResult Ready(GrainRuntime runtime, IHostApplicationLifetime lifetime, IServiceProvider services)
    {
        // Draining wins over started: new connections must go elsewhere as soon as stopping begins.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.Json(new { status = "stopping" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var membership = services.GetService<MembershipService>();
        if (membership is not null && IsClient(services))
        {
            if (membership.View.ActiveSilos.Count == 0)
            {
                return Results.Json(new { status = "no silo is active" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }
        else if (membership is not null && (!membership.IsServing || !membership.View.ActiveSilos.Contains(membership.Address)))
        {
            return Results.Json(new { status = "joining" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return runtime.IsStarted
            ? Results.Json(new { status = "ready", activations = runtime.ActivationCount })
            : Results.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
