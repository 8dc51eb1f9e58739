using System.Collections.Concurrent;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>
/// One test's record of what the consumer grains processed, and its controls over them (stall,
/// fail). Static, as the grains run in the test's process; found by the run id the events carry.
/// </summary>
public sealed class TestRun
{
    private static readonly ConcurrentDictionary<string, TestRun> Runs = new(StringComparer.Ordinal);
    private TaskCompletionSource? persistGate;
    private int persistFailures;

    private TestRun(string id) => Id = id;

    public string Id { get; }

    public ReaderLog Persist { get; } = new("persist");

    public ReaderLog Push { get; } = new("push");

    public static TestRun Start()
    {
        var run = new TestRun(Guid.NewGuid().ToString("N"));
        Runs[run.Id] = run;
        return run;
    }

    public static TestRun? Find(string id) => Runs.GetValueOrDefault(id);

    public static void End(TestRun run) => Runs.TryRemove(run.Id, out _);

    public ReaderLog For(string provider) => provider == "persist" ? Persist : Push;

    /// <summary>From now on the persist consumers wait before each batch until <see cref="ReleasePersist"/>.</summary>
    public void StallPersist() => Volatile.Write(ref persistGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void ReleasePersist() => Interlocked.Exchange(ref persistGate, null)?.TrySetResult();

    /// <summary>The persist consumers' next <paramref name="count"/> batches fail.</summary>
    public void FailPersist(int count) => Volatile.Write(ref persistFailures, count);

    public int PendingPersistFailures => Math.Max(0, Volatile.Read(ref persistFailures));

    internal async Task BeforeBatchAsync(string provider)
    {
        if (provider != "persist")
        {
            return;
        }

        if (Volatile.Read(ref persistGate) is { } gate)
        {
            // Bounded, so that a test that fails does not leave a grain stuck for ever.
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (Interlocked.Decrement(ref persistFailures) >= 0)
        {
            throw new InvalidOperationException("A failure the test asked for.");
        }
    }
}
