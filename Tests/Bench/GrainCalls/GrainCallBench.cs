using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using ChatCluster.Testing.Servers;

namespace ChatCluster.Bench.GrainCalls;

/// <summary>
/// Local no-op Orleans grain calls (one silo in this process, localhost clustering): <c>callers</c> loops, each awaiting one call at a time on grains picked
/// round-robin from <c>grains</c> activations, for <c>seconds</c> after a warm-up.
/// Reports calls per second and bytes allocated per call (whole process, all threads).
/// </summary>
internal static class GrainCallBench
{
    public static async Task<int> RunAsync(int grains, int callers, double seconds, TextWriter output)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo.UseLocalhostClustering(siloPort: FreePort.Get(), gatewayPort: 0));
        using var host = builder.Build();
        await host.StartAsync();
        var runtime = host.Services.GetRequiredService<IGrainFactory>();

        var references = Enumerable.Range(0, grains).Select(i => runtime.GetGrain<INoopGrain>($"noop-{i}")).ToArray();
        await Task.WhenAll(references.Select(r => r.Noop()));
        output.WriteLine($"grain-calls: {grains} grains activated, {callers} callers, {Environment.ProcessorCount} cores, warming up…");
        await MeasureAsync(references, callers, TimeSpan.FromSeconds(Math.Min(2, seconds)));

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gen0Before = GC.CollectionCount(0);
        var stopwatch = Stopwatch.StartNew();
        var calls = await MeasureAsync(references, callers, TimeSpan.FromSeconds(seconds));
        stopwatch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        output.WriteLine($"calls: {calls:N0} in {stopwatch.Elapsed.TotalSeconds:F2} s");
        output.WriteLine($"calls/s: {calls / stopwatch.Elapsed.TotalSeconds:N0}");
        output.WriteLine($"bytes allocated per call: {(double)allocated / calls:F1}");
        output.WriteLine($"gen0 collections: {GC.CollectionCount(0) - gen0Before}");
        await host.StopAsync();
        return 0;
    }

    private static async Task<long> MeasureAsync(INoopGrain[] references, int callers, TimeSpan duration)
    {
        var window = LoadWindow.Start(duration);
        var counts = new long[callers];
        var loops = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var index = caller % references.Length;
            long done = 0;
            while (!window.Ended)
            {
                await references[index].Noop();
                index += callers;
                if (index >= references.Length)
                {
                    index -= references.Length;
                }

                done++;
            }

            counts[caller] = done;
        })).ToArray();
        await Task.WhenAll(loops);
        return counts.Sum();
    }
}
