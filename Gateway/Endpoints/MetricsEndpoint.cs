using ChatCluster.Gateway.Metrics;
using Microsoft.AspNetCore.Http;

namespace ChatCluster.Gateway.Endpoints;

/// <summary><c>GET /metrics</c>: this host's gateway metrics in the Prometheus text format.</summary>
public static class MetricsEndpoint
{
    public static IResult Handle(MetricsCollector collector)
    {
        ArgumentNullException.ThrowIfNull(collector);
        return Results.Text(PrometheusWriter.Write(collector.Collect()), PrometheusWriter.ContentType);
    }
}
