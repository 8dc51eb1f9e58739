using ChatCluster.Runtime;
using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Silo.Health;

/// <summary>
/// Probes for operators and orchestrators: <c>GET /healthz</c> (liveness: the process answers) and
/// <c>GET /readyz</c> (readiness: the grain runtime has started, in cluster mode the silo is an active
/// member, and the gateway is not draining). In cluster mode both report the active silos this silo sees.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (GrainRuntime runtime, IServiceProvider services) =>
            services.GetService<MembershipService>() is { } membership
                ? Results.Json(new { status = "ok", activations = runtime.ActivationCount, silo = membership.Address.ToString(), activeSilos = membership.View.ActiveSilos.Count })
                : Results.Json(new { status = "ok", activations = runtime.ActivationCount }));
        endpoints.MapGet("/readyz", Ready);
        return endpoints;
    }

    private static IResult Ready(GrainRuntime runtime, IHostApplicationLifetime lifetime, IServiceProvider services)
    {
        // Draining wins over started: new connections must go elsewhere as soon as stopping begins.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.Json(new { status = "stopping" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (services.GetService<MembershipService>() is { } membership
            && (!membership.IsServing || !membership.View.ActiveSilos.Contains(membership.Address)))
        {
            return Results.Json(new { status = "joining" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return runtime.IsStarted
            ? Results.Json(new { status = "ready", activations = runtime.ActivationCount })
            : Results.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
