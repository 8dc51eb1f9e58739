using ChatCluster.Runtime;

namespace ChatCluster.Silo.Health;

/// <summary>Liveness for operators and orchestrators: <c>GET /healthz</c>.</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (GrainRuntime runtime) =>
            Results.Json(new { status = "ok", activations = runtime.ActivationCount }));
        return endpoints;
    }
}
