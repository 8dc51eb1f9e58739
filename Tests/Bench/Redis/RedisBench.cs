using System.Diagnostics;
using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Bench.Redis;

/// <summary>
/// Throughput of the Redis client: <c>callers</c> loops share one <see cref="RedisConnection"/>, each
/// awaiting one command at a time, so the connection pipelines up to <c>callers</c> commands. SET of a
/// fixed-size value on per-caller keys, then INCR of one counter (checked exactly at the end). Reports
/// operations per second, latency percentiles and client allocations per operation.
/// </summary>
internal static class RedisBench
{
    public static async Task<int> RunAsync(int callers, double seconds, int valueSize, TextWriter output)
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = new RedisConnection(new RedisOptions { Endpoint = server.Endpoint, MaxPendingCommands = Math.Max(callers, 1) });
        await redis.ConnectAsync(CancellationToken.None);
        var value = new byte[valueSize];
        Random.Shared.NextBytes(value);
        var keys = Enumerable.Range(0, callers).Select(i => (RedisArg)$"bench:set:{i}").ToArray();
        output.WriteLine($"redis: redis-server {server.Endpoint}, 1 connection, {callers} callers, {valueSize}-byte values, {Environment.ProcessorCount} cores, warming up…");

        await MeasureAsync(callers, TimeSpan.FromSeconds(Math.Min(2, seconds)), i => redis.ExecuteAsync("SET", keys[i], value));
        var set = await MeasureAsync(callers, TimeSpan.FromSeconds(seconds), i => redis.ExecuteAsync("SET", keys[i], value));
        output.WriteLine(set.Describe("SET"));

        await redis.ExecuteAsync("DEL", "bench:counter");
        var incr = await MeasureAsync(callers, TimeSpan.FromSeconds(seconds), _ => redis.ExecuteAsync("INCR", "bench:counter"));
        output.WriteLine(incr.Describe("INCR"));
        var counter = (await redis.ExecuteAsync("GET", "bench:counter")).AsInt64();
        output.WriteLine(counter == incr.Operations
            ? $"counter check: {counter:N0} = INCRs completed"
            : $"counter check FAILED: counter {counter:N0}, INCRs completed {incr.Operations:N0}");
        return counter == incr.Operations ? 0 : 1;
    }

    private static async Task<Phase> MeasureAsync(int callers, TimeSpan duration, Func<int, Task<RedisReply>> operation)
    {
        var stop = 0;
        var latencies = new List<long>[callers];
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var gen0Before = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, callers).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<long>(1 << 16);
            while (Volatile.Read(ref stop) == 0)
            {
                var started = Stopwatch.GetTimestamp();
                await operation(i);
                mine.Add(Stopwatch.GetTimestamp() - started);
            }
        })).ToArray();
        await Task.Delay(duration);
        Volatile.Write(ref stop, 1);
        await Task.WhenAll(loops);
        var elapsed = clock.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Phase(all, elapsed, GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore, GC.CollectionCount(0) - gen0Before);
    }

    private sealed record Phase(long[] SortedTicks, double Seconds, long AllocatedBytes, int Gen0)
    {
        public long Operations => SortedTicks.Length;

        public string Describe(string name) =>
            $"{name}: {Operations:N0} in {Seconds:F2} s = {Operations / Seconds:N0} ops/s; latency p50 {Percentile(0.5):F2} ms, p99 {Percentile(0.99):F2} ms, max {Percentile(1):F2} ms; " +
            $"{(double)AllocatedBytes / Math.Max(1, Operations):N0} bytes allocated per op, gen0 collections {Gen0}";

        private double Percentile(double fraction) => SortedTicks.Length == 0
            ? double.NaN
            : SortedTicks[Math.Clamp((int)Math.Ceiling(SortedTicks.Length * fraction) - 1, 0, SortedTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}
