using System.Diagnostics;
using ChatCluster.Bench.WebSockets;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>
/// Calls issued on a fixed schedule by a thread of their own, never waiting for answers; latency from each call's
/// scheduled time (the driver's own lateness counts) and from when it was issued.
/// </summary>
internal static class OpenLoop
{
    /// <summary>A call that failed the way a grain call to a busy or lost silo fails (counted, not thrown).</summary>
    public static bool IsCallFailure(Exception ex) => ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException;

    public static async Task<OpenLoopResult> RunAsync(IRemoteNoopGrain[] grains, double rate, TimeSpan duration)
    {
        var total = (long)(rate * duration.TotalSeconds);
        var latency = new LatencyRecorder((int)Math.Min(total + 1, 50_000_000));
        var serviceLatency = new LatencyRecorder((int)Math.Min(total + 1, 50_000_000));

        // The recorders are large arrays: collect now so that the full collection they would provoke does not stall the window.
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
            catch (Exception ex) when (IsCallFailure(ex))
            {
                Interlocked.Increment(ref failed);
            }
        }

        // One thread issues every call when it is due (in bursts, about once a millisecond); its longest gap between two
        // wake-ups (asked for 1 ms) shows a stall of the machine, not just in call latency.
        var longestGap = TimeSpan.Zero;
        var driver = new Thread(() =>
        {
            var index = 0;
            var lastWake = Stopwatch.GetTimestamp();
            while (issued < total)
            {
                var wake = Stopwatch.GetTimestamp();
                var gap = Stopwatch.GetElapsedTime(lastWake, wake);
                longestGap = gap > longestGap ? gap : longestGap;
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
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (Interlocked.Read(ref completed) + Interlocked.Read(ref failed) < total && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10);
        }

        return new OpenLoopResult(total, Interlocked.Read(ref completed), Interlocked.Read(ref failed), Stopwatch.GetElapsedTime(start), latency, serviceLatency, longestGap,
            GC.CollectionCount(0) - gen0, GC.CollectionCount(2) - gen2, GC.GetTotalPauseDuration() - paused);
    }
}
