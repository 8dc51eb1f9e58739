using ChatCluster.Gateway.Connections;
using ChatCluster.Grains;
using Microsoft.Extensions.Hosting;

namespace ChatCluster.Gateway.Push;

/// <summary>
/// Registers this gateway's <see cref="GatewayObserver"/> with Orleans when the host starts (after the silo or
/// client it runs beside) and gives the registry its id, which every session of this gateway carries. Keeps the
/// observer referenced: Orleans holds observers weakly.
/// </summary>
public sealed class GatewayObserverRegistration(ConnectionRegistry registry, IGrainFactory grains) : IHostedService
{
    private GatewayObserver? observer;
    private IGatewayObserver? reference;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        observer = new GatewayObserver(registry);
        reference = grains.CreateObjectReference<IGatewayObserver>(observer);
        registry.GatewayId = reference.GetGrainId().ToString();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (reference is not null)
        {
            grains.DeleteObjectReference<IGatewayObserver>(reference);
        }

        return Task.CompletedTask;
    }
}
