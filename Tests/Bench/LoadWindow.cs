namespace ChatCluster.Bench;

/// <summary>
/// Ends a closed-loop measurement after a set time, from a thread of its own. A timer's continuation would be queued
/// on the thread pool behind the load itself and may not run while the loops keep every worker busy (seen with
/// Orleans: a 10 s window that never ended).
/// </summary>
internal sealed class LoadWindow
{
    private int ended;

    private LoadWindow(TimeSpan duration)
    {
        new Thread(() =>
        {
            Thread.Sleep(duration);
            Volatile.Write(ref ended, 1);
        })
        { IsBackground = true, Name = "bench window" }.Start();
    }

    /// <summary>True once the window has passed; loops check it before each request.</summary>
    public bool Ended => Volatile.Read(ref ended) == 1;

    public static LoadWindow Start(TimeSpan duration) => new(duration);
}
