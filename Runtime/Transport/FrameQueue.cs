namespace ChatCluster.Runtime.Transport;

/// <summary>
/// Frames waiting for a connection's writer. Producers append under a lock; the writer takes all of
/// them at once by swapping two lists, so the steady state allocates nothing. (A channel's
/// ConcurrentQueue allocates ever larger segments under steady load, up to a million slots, on the
/// large-object heap, which drew full garbage collections.)
/// </summary>
internal sealed class FrameQueue
{
    private readonly object gate = new();
    private List<OutgoingFrame> filling = new(64);
    private List<OutgoingFrame> taken = new(64);
    private TaskCompletionSource? waiter;
    private bool completed;

    /// <summary>Queues a frame; false once the queue is completed (the connection closed).</summary>
    public bool TryWrite(in OutgoingFrame frame)
    {
        TaskCompletionSource? wake;
        lock (gate)
        {
            if (completed)
            {
                return false;
            }

            filling.Add(frame);
            wake = waiter;
            waiter = null;
        }

        if (wake is not null)
        {
            Wake(wake);
        }

        return true;
    }

    /// <summary>Stops taking frames and wakes the writer.</summary>
    public void Complete()
    {
        TaskCompletionSource? wake;
        lock (gate)
        {
            completed = true;
            wake = waiter;
            waiter = null;
        }

        if (wake is not null)
        {
            Wake(wake);
        }
    }

    // The writer resumes on a work item of the pool's global queue: queued to the producer's local
    // queue (as an asynchronous continuation would be), it waited behind the producer's own work.
    private static void Wake(TaskCompletionSource waiter) =>
        ThreadPool.UnsafeQueueUserWorkItem(static w => w.TrySetResult(), waiter, preferLocal: false);

    /// <summary>The writer only: every queued frame (the list is the writer's until its next call), or null if none.</summary>
    public List<OutgoingFrame>? TryTakeAll() => TryTakeAll(out _, registerWait: false);

    /// <summary>
    /// The writer only: every queued frame (the list is the writer's until its next call), or null with
    /// <paramref name="wait"/> completing when frames arrive, or null with a null wait once completed.
    /// </summary>
    public List<OutgoingFrame>? TryTakeAll(out Task? wait) => TryTakeAll(out wait, registerWait: true);

    private List<OutgoingFrame>? TryTakeAll(out Task? wait, bool registerWait)
    {
        lock (gate)
        {
            taken.Clear();
            wait = null;
            if (filling.Count > 0)
            {
                (filling, taken) = (taken, filling);
                return taken;
            }

            if (registerWait && !completed)
            {
                // Completed only from a pool work item (Wake), so a producer never runs the writer loop itself.
                waiter = new TaskCompletionSource();
                wait = waiter.Task;
            }

            return null;
        }
    }
}
