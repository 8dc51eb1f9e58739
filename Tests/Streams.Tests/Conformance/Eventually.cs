using System.Diagnostics;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>Waits for a condition by polling, with a generous deadline (the machine is small and shared).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(60);

    public static async Task WaitAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? deadline = null)
    {
        var limit = deadline ?? DefaultDeadline;
        var started = Stopwatch.StartNew();
        while (!await condition())
        {
            if (started.Elapsed > limit)
            {
                throw new TimeoutException($"Not reached within {limit.TotalSeconds:F0} s: {describe()}");
            }

            await Task.Delay(50);
        }
    }

    public static Task WaitAsync(Func<bool> condition, Func<string> describe, TimeSpan? deadline = null) =>
        WaitAsync(() => Task.FromResult(condition()), describe, deadline);
}
