using System.Diagnostics;
using System.Net;
using ChatCluster.Bench.GrainCalls;
using ChatCluster.Bench.WebSockets;
using ChatCluster.Runtime;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>
/// Cross-silo no-op grain calls from a client silo (this process) to a server silo (a child process
/// by default) over the transport: first a closed loop (callers awaiting one call at a time) for the
/// saturation rate, then an open loop issuing calls on a fixed schedule (half that rate unless given)
/// for latency. Open-loop latency counts from each call's scheduled time, so a stall is not hidden.
/// </summary>
internal static class RemoteCallBench
{
    public static async Task<int> RunAsync(RemoteCallSettings settings, TextWriter output)
    {
        Process? child = null;
        BenchRuntime? localServer = null;
        try
        {
            IPEndPoint server;
            if (settings.InProcess)
            {
                localServer = await RemoteCallServer.StartSiloAsync(0);
                server = localServer.Runtime.Transport!.LocalEndPoint!;
            }
            else
            {
                (child, server) = await StartServerProcessAsync();
            }

            await using var client = await RemoteCallServer.StartSiloAsync(0);
            client.Runtime.RemoteRoute = _ => server;
            var grains = Enumerable.Range(0, settings.Grains).Select(i => client.Runtime.GetGrain<INoopGrain>($"noop-{i}")).ToArray();
            await Task.WhenAll(grains.Select(g => g.Noop()));
            if (client.Runtime.ActivationCount != 0)
            {
                throw new InvalidOperationException($"The calls ran in the client silo ({client.Runtime.ActivationCount} activations), not on the server.");
            }

            await output.WriteLineAsync(
                $"remote-calls: server silo {(settings.InProcess ? "in this process" : $"in child process {child!.Id}")} at {server}, "
                + $"{settings.Grains} grains, {Environment.ProcessorCount} cores; warming up…");
            await ClosedLoopAsync(grains, settings.Callers, TimeSpan.FromSeconds(Math.Min(2, settings.Seconds)), null);

            var closedLatency = new LatencyRecorder(4_000_000);
            GC.Collect(); // the recorder's array, not the calls, would otherwise draw a full collection in the window
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            var (calls, failures) = await ClosedLoopAsync(grains, settings.Callers, TimeSpan.FromSeconds(settings.Seconds), closedLatency);
            stopwatch.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var saturation = calls / stopwatch.Elapsed.TotalSeconds;
            await output.WriteLineAsync($"closed loop, {settings.Callers} callers: {calls:N0} calls in {stopwatch.Elapsed.TotalSeconds:F2} s = {saturation:N0} calls/s, "
                + $"{failures} failed; latency p50 {closedLatency.Percentile(50):F2} ms, p99 {closedLatency.Percentile(99):F2} ms; "
                + $"client bytes allocated per call {(double)allocated / Math.Max(1, calls):F0}");

            var rate = settings.Rate > 0 ? settings.Rate : saturation / 2;
            await OpenLoopAsync(grains, rate, TimeSpan.FromSeconds(Math.Min(2, settings.Seconds)));
            var open = await OpenLoopAsync(grains, rate, TimeSpan.FromSeconds(settings.Seconds));
            await output.WriteLineAsync($"open loop at {rate:N0} calls/s: {open.Completed:N0} of {open.Issued:N0} calls completed, {open.Failed} failed, "
                + $"achieved {open.Completed / open.Elapsed.TotalSeconds:N0} calls/s; latency p50 {open.Latency.Percentile(50):F2} ms, "
                + $"p99 {open.Latency.Percentile(99):F2} ms, p99.9 {open.Latency.Percentile(99.9):F2} ms, max {open.Latency.Percentile(100):F2} ms "
                + $"(from scheduled time); from issue: p50 {open.ServiceLatency.Percentile(50):F2} ms, p99 {open.ServiceLatency.Percentile(99):F2} ms; "
                + $"client GCs: {open.Gen0} gen0, {open.Gen2} gen2, paused {open.GcPause.TotalMilliseconds:F1} ms in all; longest driver gap {open.DriverLongestGap.TotalMilliseconds:F1} ms, "
                + $"ending {open.DriverLongestGapAt.TotalSeconds:F2} s into the phase");
            return failures == 0 && open.Failed == 0 ? 0 : 1;
        }
        finally
        {
            if (localServer is not null)
            {
                await localServer.DisposeAsync();
            }

            if (child is not null)
            {
                child.StandardInput.Close();
                if (!child.WaitForExit(5_000))
                {
                    child.Kill(entireProcessTree: true);
                }

                child.Dispose();
            }
        }
    }

    private static async Task<(Process Child, IPEndPoint Server)> StartServerProcessAsync()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(RemoteCallBench).Assembly.Location);
        start.ArgumentList.Add("remote-calls-server");
        var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the remote-calls-server child process.");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await child.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith(RemoteCallServer.ReadyPrefix, StringComparison.Ordinal))
                {
                    // Keep draining its output so that it never blocks on a full pipe.
                    _ = child.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return (child, IPEndPoint.Parse(line[RemoteCallServer.ReadyPrefix.Length..]));
                }
            }

            throw new InvalidOperationException($"The remote-calls-server child process ended before it listened (exit code {child.ExitCode}).");
        }
        catch
        {
            child.Kill(entireProcessTree: true);
            child.Dispose();
            throw;
        }
    }

    private static async Task<(long Calls, long Failures)> ClosedLoopAsync(INoopGrain[] grains, int callers, TimeSpan duration, LatencyRecorder? latency)
    {
        var stop = 0;
        var counts = new long[callers];
        var failures = new long[callers];
        var loops = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var index = caller % grains.Length;
            while (Volatile.Read(ref stop) == 0)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await grains[index].Noop();
                    counts[caller]++;
                    latency?.Record(Stopwatch.GetElapsedTime(started));
                }
                catch (Exception ex) when (ex is SiloUnavailableException or GrainCallTimeoutException)
                {
                    failures[caller]++;
                }

                index = (index + callers) % grains.Length;
            }
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        return (counts.Sum(), failures.Sum());
    }

    private static async Task<OpenLoopResult> OpenLoopAsync(INoopGrain[] grains, double rate, TimeSpan duration)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var latency = new LatencyRecorder((int)Math.Min(total + 1, 50_000_000));
        var serviceLatency = new LatencyRecorder((int)Math.Min(total + 1, 50_000_000));

        // The recorders are large arrays: collect now so that the full collection they would provoke
        // does not stall the measured window (it did, by about 100 ms, in every run).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var (gen0, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var ticksPerCall = Stopwatch.Frequency / rate;
        long completed = 0;
        long failed = 0;
        long issued = 0;
        var start = Stopwatch.GetTimestamp();

        async Task TrackAsync(Task call, long scheduled, long sent)
        {
            try
            {
                await call;
                var now = Stopwatch.GetTimestamp();
                latency.Record(Stopwatch.GetElapsedTime(scheduled, now));
                serviceLatency.Record(Stopwatch.GetElapsedTime(sent, now));
                Interlocked.Increment(ref completed);
            }
            catch (Exception ex) when (ex is SiloUnavailableException or GrainCallTimeoutException)
            {
                Interlocked.Increment(ref failed);
            }
        }

        // One thread issues every call when it is due (in bursts, about once a millisecond), never waiting for answers.
        // The driver's longest gap between two wake-ups (asked for 1 ms): a stall of the machine shows here, not just in call latency.
        var longestGap = TimeSpan.Zero;
        var longestGapAt = TimeSpan.Zero;
        var driver = new Thread(() =>
        {
            var index = 0;
            var lastWake = Stopwatch.GetTimestamp();
            while (issued < total)
            {
                var wake = Stopwatch.GetTimestamp();
                var gap = Stopwatch.GetElapsedTime(lastWake, wake);
                if (gap > longestGap)
                {
                    longestGap = gap;
                    longestGapAt = Stopwatch.GetElapsedTime(start, wake);
                }

                lastWake = wake;
                var due = Math.Min(total, (long)((Stopwatch.GetTimestamp() - start) / ticksPerCall) + 1);
                for (; issued < due; issued++)
                {
                    var sent = Stopwatch.GetTimestamp();
                    _ = TrackAsync(grains[index].Noop(), start + (long)(issued * ticksPerCall), sent);
                    index = index + 1 == grains.Length ? 0 : index + 1;
                }

                Thread.Sleep(1);
            }
        })
        { IsBackground = true, Name = "open-loop driver" };
        driver.Start();
        driver.Join();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        while (Interlocked.Read(ref completed) + Interlocked.Read(ref failed) < total && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10);
        }

        return new OpenLoopResult(total, Interlocked.Read(ref completed), Interlocked.Read(ref failed), Stopwatch.GetElapsedTime(start), latency, serviceLatency, longestGap, longestGapAt,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(2) - gen2, GC.GetTotalPauseDuration() - paused);
    }

    // Latency counts from each call's scheduled time; ServiceLatency from when the driver actually issued it (without the driver's own lateness).
    private sealed record OpenLoopResult(long Issued, long Completed, long Failed, TimeSpan Elapsed, LatencyRecorder Latency, LatencyRecorder ServiceLatency, TimeSpan DriverLongestGap, TimeSpan DriverLongestGapAt, int Gen0, int Gen2, TimeSpan GcPause);
}
