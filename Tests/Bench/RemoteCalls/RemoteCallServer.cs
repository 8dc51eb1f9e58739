using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>
/// The server silo of <c>remote-calls</c> (a process of its own): Orleans' localhost clustering as the primary silo on
/// the given ports, the bench's grains activated here, then serving until its standard input closes (its parent ended).
/// </summary>
internal static class RemoteCallServer
{
    public const string ReadyPrefix = "remote-calls-server ready: ";
    public const string ServiceId = "remote-calls";

    public static async Task<int> RunAsync(int siloPort, int gatewayPort, int grains, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: ServiceId));
        using var host = builder.Build();
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IGrainFactory>();
        var silos = await Task.WhenAll(Enumerable.Range(0, grains).Select(i => factory.GetGrain<IRemoteNoopGrain>(GrainKey(i)).Silo()));
        await output.WriteLineAsync($"{ReadyPrefix}silo 127.0.0.1:{siloPort}, gateway {gatewayPort}, {grains} grains on {string.Join(", ", silos.Distinct())}");
        await output.FlushAsync();
        await Console.In.ReadToEndAsync();
        await host.StopAsync();
        return 0;
    }

    public static string GrainKey(int i) => $"noop-{i}";

    public static IPEndPoint Primary(int siloPort) => new(IPAddress.Loopback, siloPort);
}
