namespace ChatCluster.Runtime.Streams;

/// <summary>
/// Wakes the readers of one partition when events were appended in this process, so they need not
/// poll. A reader takes <see cref="NextAsync"/> before it looks for events: an append that lands in
/// between then completes the task it is about to await, and no wake-up is lost.
/// </summary>
internal sealed class PartitionSignal
{
    private readonly Lock gate = new();
    private TaskCompletionSource? waiters;

    /// <summary>A task that completes at the next <see cref="Notify"/>.</summary>
    public Task NextAsync()
    {
        lock (gate)
        {
            // Continuations run on the thread pool, never inline in the appender.
            waiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return waiters.Task;
        }
    }

    /// <summary>Wakes every reader waiting now. Costs a lock and nothing else when none waits.</summary>
    public void Notify()
    {
        TaskCompletionSource? woken;
        lock (gate)
        {
            woken = waiters;
            waiters = null;
        }

        woken?.TrySetResult();
    }

    /// <summary>
    /// Waits for the next notification that <paramref name="next"/> stands for, at most
    /// <paramref name="wait"/>; returns normally on time-out and throws only on cancellation.
    /// </summary>
    public static async Task WaitAsync(Task next, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            return;
        }

        await next.WaitAsync(wait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }
}
