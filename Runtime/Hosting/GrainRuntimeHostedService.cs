using Microsoft.Extensions.Hosting;

namespace ChatCluster.Runtime.Hosting;

/// <summary>Starts the grain runtime with the host and deactivates every grain when the host stops.</summary>
internal sealed class GrainRuntimeHostedService(GrainRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runtime.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAsync(cancellationToken);
}
