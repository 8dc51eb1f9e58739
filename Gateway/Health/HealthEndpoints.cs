using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Gateway.Health;

/// <summary>
/// Probes for operators and orchestrators, the same on a silo and on a stand-alone gateway: <c>GET /healthz</c>
/// (liveness: the process answers; with its role, its name, the silos it sees active in its cluster and its own
/// activations) and <c>GET /readyz</c> (readiness: the silo is active, or the client is connected, and the gateway is
/// not draining). Neither makes a grain call: a probe must answer for this process even while a silo does not answer
/// (frozen, or cut off, and not yet declared dead). Needs an <see cref="IClusterMember"/> registered.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", async (IClusterMember member) =>
            Results.Json(new Dictionary<string, object>
            {
                ["status"] = "ok",
                ["role"] = member.Role,
                [member.Role] = member.Name,
                ["activeSilos"] = await member.ActiveSilosAsync().ConfigureAwait(false),
                ["activations"] = member.Activations,
            }));
        endpoints.MapGet("/readyz", Ready);
        return endpoints;
    }

    private static IResult Ready(IHostApplicationLifetime lifetime, IClusterMember member)
    {
        // Draining wins over started: new connections must go elsewhere as soon as stopping begins.
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.Json(new { status = "stopping" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return member.NotReady is { } status
            ? Results.Json(new { status }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ready", activations = member.Activations });
    }
}
