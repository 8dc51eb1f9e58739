using System.Collections.Concurrent;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// Runs registered clean-up when the process exits (normal end of a test run, SIGTERM), so servers
/// are not left behind when a test forgets to dispose. The test platform may tear the process down
/// soon after, so every urgent action (one signal per server) runs before any slow one (waiting,
/// deleting directories).
/// </summary>
internal static class ProcessExitCleanup
{
    private static readonly ConcurrentDictionary<long, (Action Urgent, Action Slow)> Actions = new();
    private static long nextId;

    static ProcessExitCleanup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAll();
    }

    /// <summary>Registers the two phases; dispose the result to unregister them.</summary>
    public static IDisposable Register(Action urgent, Action slow)
    {
        var id = Interlocked.Increment(ref nextId);
        Actions[id] = (urgent, slow);
        return new Registration(id);
    }

    private static void RunAll()
    {
        var all = Actions.OrderBy(pair => pair.Key).Select(pair => pair.Value).ToList();
        Actions.Clear();
        foreach (var (urgent, _) in all)
        {
            RunSafely(urgent);
        }

        foreach (var (_, slow) in all)
        {
            RunSafely(slow);
        }
    }

    private static void RunSafely(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // Clean-up at exit must try every action whatever one of them throws.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed class Registration(long id) : IDisposable
    {
        public void Dispose() => Actions.TryRemove(id, out _);
    }
}
