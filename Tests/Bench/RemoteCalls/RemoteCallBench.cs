using System.Diagnostics;
using ChatCluster.Bench.WebSockets;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>
/// Cross-silo no-op grain calls on Orleans: a server silo in a child process (<c>remote-calls-server</c>, the primary of
/// Orleans' localhost clustering on free loopback ports) hosts the grains; this process joins as a second silo (or, with
/// <c>--client</c>, connects as an Orleans client to the server's gateway) and calls them. First a closed loop (callers
/// awaiting one call at a time) for the saturation rate, then an open loop issuing calls on a fixed schedule (half that
/// rate unless given) for latency, counted from each call's scheduled time so that a stall is not hidden.
/// </summary>
internal static class RemoteCallBench
{
    public static async Task<int> RunAsync(RemoteCallSettings settings, TextWriter output)
    {
        var loadAtStart = LoadAverage.Now();
        var serverSiloPort = FreePort.Get();
        var serverGatewayPort = FreePort.Get();
        var (child, serverSilo) = await StartServerProcessAsync(serverSiloPort, serverGatewayPort, settings.Grains);
        IHost? host = null;
        try
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (settings.Client)
            {
                builder.UseOrleansClient(client => client.UseLocalhostClustering(serverGatewayPort, RemoteCallServer.ServiceId, RemoteCallServer.ServiceId));
            }
            else
            {
                // This silo does not host the bench's grain, so Orleans places every activation on the server, even when its
                // directory has not yet handed over the entries of the server's activations (seen: 706 of 1,000 placed here).
                builder.UseOrleans(silo => silo
                    .UseLocalhostClustering(FreePort.Get(), 0, RemoteCallServer.Primary(serverSiloPort), RemoteCallServer.ServiceId, RemoteCallServer.ServiceId)
                    .Configure<GrainTypeOptions>(o => o.Classes.Remove(typeof(RemoteNoopGrain))));
            }

            host = builder.Build();
            await host.StartAsync();
            var factory = host.Services.GetRequiredService<IGrainFactory>();
            var grains = Enumerable.Range(0, settings.Grains).Select(i => factory.GetGrain<IRemoteNoopGrain>(RemoteCallServer.GrainKey(i))).ToArray();
            var silos = await Task.WhenAll(grains.Select(g => g.Silo()));
            if (silos.Any(s => s != serverSilo))
            {
                throw new InvalidOperationException($"{silos.Count(s => s != serverSilo)} of {grains.Length} grains are not on the server silo {serverSilo}.");
            }

            await output.WriteLineAsync(
                $"remote-calls: {(settings.Client ? "an Orleans client" : "a silo")} in this process calling {settings.Grains} grains on the server silo {serverSilo} "
                + $"(child process {child.Id}), {Environment.ProcessorCount} cores; load {loadAtStart}; warming up…");
            await ClosedLoopAsync(grains, settings.Callers, TimeSpan.FromSeconds(Math.Min(2, settings.Seconds)), null);

            var closedLatency = new LatencyRecorder(8_000_000);
            GC.Collect(); // the recorder's array, not the calls, would otherwise draw a full collection in the window
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            var (calls, failures) = await ClosedLoopAsync(grains, settings.Callers, TimeSpan.FromSeconds(settings.Seconds), closedLatency);
            stopwatch.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var saturation = calls / stopwatch.Elapsed.TotalSeconds;
            await output.WriteLineAsync($"closed loop, {settings.Callers} callers: {calls:N0} calls in {stopwatch.Elapsed.TotalSeconds:F2} s = {saturation:N0} calls/s, "
                + $"{failures} failed; latency p50 {closedLatency.Percentile(50):F2} ms, p99 {closedLatency.Percentile(99):F2} ms; "
                + $"caller's bytes allocated per call {(double)allocated / Math.Max(1, calls):F0}; load {LoadAverage.Now()}");

            var rate = settings.Rate > 0 ? settings.Rate : saturation / 2;
            await OpenLoop.RunAsync(grains, rate, TimeSpan.FromSeconds(Math.Min(2, settings.Seconds)));
            var open = await OpenLoop.RunAsync(grains, rate, TimeSpan.FromSeconds(settings.Seconds));
            await output.WriteLineAsync($"open loop at {rate:N0} calls/s: {open.Completed:N0} of {open.Issued:N0} calls completed, {open.Failed} failed, "
                + $"achieved {open.Completed / open.Elapsed.TotalSeconds:N0} calls/s; latency p50 {open.Latency.Percentile(50):F2} ms, "
                + $"p99 {open.Latency.Percentile(99):F2} ms, p99.9 {open.Latency.Percentile(99.9):F2} ms, max {open.Latency.Percentile(100):F2} ms "
                + $"(from scheduled time); from issue: p50 {open.ServiceLatency.Percentile(50):F2} ms, p99 {open.ServiceLatency.Percentile(99):F2} ms; "
                + $"caller's GCs: {open.Gen0} gen0, {open.Gen2} gen2, paused {open.GcPause.TotalMilliseconds:F1} ms in all; longest driver gap {open.DriverLongestGap.TotalMilliseconds:F1} ms; "
                + $"load {LoadAverage.Now()}");
            return failures == 0 && open.Failed == 0 ? 0 : 1;
        }
        finally
        {
            if (host is not null)
            {
                await host.StopAsync();
                host.Dispose();
            }

            child.StandardInput.Close();
            if (!child.WaitForExit(30_000))
            {
                await output.WriteLineAsync($"remote-calls-server (process {child.Id}) did not stop within 30 s of its input closing: killed.");
                child.Kill(entireProcessTree: true);
            }

            child.Dispose();
        }
    }

    /// <summary>Starts the server process and waits until its grains are active; returns it and its silo's identity.</summary>
    private static async Task<(Process Child, string Silo)> StartServerProcessAsync(int siloPort, int gatewayPort, int grains)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { typeof(RemoteCallBench).Assembly.Location, "remote-calls-server", "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--grains", $"{grains}" })
        {
            start.ArgumentList.Add(argument);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the remote-calls-server child process.");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(RemoteCallServer.ReadyPrefix, StringComparison.Ordinal))
                {
                    // Keep draining its output so that it never blocks on a full pipe.
                    _ = child.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return (child, line[(line.LastIndexOf(" on ", StringComparison.Ordinal) + 4)..]);
                }
            }

            throw new InvalidOperationException($"The remote-calls-server child process ended before it was ready (exit code {child.ExitCode}).");
        }
        catch
        {
            child.Kill(entireProcessTree: true);
            child.Dispose();
            throw;
        }
    }

    private static async Task<(long Calls, long Failures)> ClosedLoopAsync(IRemoteNoopGrain[] grains, int callers, TimeSpan duration, LatencyRecorder? latency)
    {
        var window = LoadWindow.Start(duration);
        var counts = new long[callers];
        var failures = new long[callers];
        var loops = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var index = caller % grains.Length;
            while (!window.Ended)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await grains[index].Noop();
                    counts[caller]++;
                    latency?.Record(Stopwatch.GetElapsedTime(started));
                }
                catch (Exception ex) when (OpenLoop.IsCallFailure(ex))
                {
                    failures[caller]++;
                }

                index = (index + callers) % grains.Length;
            }
        })).ToArray();
        await Task.WhenAll(loops);
        return (counts.Sum(), failures.Sum());
    }
}
