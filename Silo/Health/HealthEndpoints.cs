namespace ChatCluster.Silo.Health;

/// <summary>
/// Probes for operators and orchestrators: <c>GET /healthz</c> (liveness: the process answers) and <c>GET /readyz</c>
/// (readiness: the Orleans silo is active and the gateway is not draining). Both report the silo's activations;
/// <c>/healthz</c> also the silos this one sees active in its cluster. Neither makes a grain call: a probe must answer
/// for this process even while another silo does not answer (frozen, or cut off, and not yet declared dead).
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (IActivationWorkingSet activations, ILocalSiloDetails silo, ISiloStatusOracle status) =>
            Results.Json(new
            {
                status = "ok",
                silo = silo.SiloAddress.ToString(),
                activeSilos = status.GetApproximateSiloStatuses(onlyActive: true).Count,
                activations = activations.Count,
            }));
        endpoints.MapGet("/readyz", Ready);
        return endpoints;
    }

    private static IResult Ready(IHostApplicationLifetime lifetime, ISiloStatusOracle status, IActivationWorkingSet activations)
    {
        // Draining wins over started: new connections must go elsewhere as soon as stopping begins.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.Json(new { status = "stopping" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return status.CurrentStatus == SiloStatus.Active
            ? Results.Json(new { status = "ready", activations = activations.Count })
            : Results.Json(new { status = status.CurrentStatus.ToString().ToLowerInvariant() }, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
