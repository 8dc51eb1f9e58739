using ChatCluster.Runtime;

namespace ChatCluster.Silo.Health;

/// <summary>
/// Probes for operators and orchestrators: <c>GET /healthz</c> (liveness: the process answers) and
/// <c>GET /readyz</c> (readiness: the grain runtime has started and the gateway is not draining).
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (GrainRuntime runtime) =>
            Results.Json(new { status = "ok", activations = runtime.ActivationCount }));
        endpoints.MapGet("/readyz", Ready);
        return endpoints;
    }

    private static IResult Ready(GrainRuntime runtime, IHostApplicationLifetime lifetime)
    {
        // Draining wins over started: new connections must go elsewhere as soon as stopping begins.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.Json(new { status = "stopping" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return runtime.IsStarted
            ? Results.Json(new { status = "ready", activations = runtime.ActivationCount })
            : Results.Json(new { status = "starting" }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
