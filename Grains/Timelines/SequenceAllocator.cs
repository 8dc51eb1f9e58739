namespace ChatCluster.Grains.Timelines;

/// <summary>
/// Hands out a timeline's sequence numbers without a write per number (WeChat seqsvr's idea): the
/// grain persists an upper bound, numbers up to it are handed out from memory, and the bound is
/// raised by <c>step</c> ahead of need. After a crash the timeline resumes from the persisted bound,
/// so numbers are never reused and at most <c>step</c> are skipped. Waiters are served in order, so
/// numbers are handed out in call order even across a raise.
/// </summary>
internal sealed class SequenceAllocator(long start, int step, Func<long, Task> persistLimit)
{
    private readonly Queue<TaskCompletionSource<long>> waiters = new();
    private long limit = start;
    private Task? raising;

    /// <summary>The last number handed out.</summary>
    public long Last { get; private set; } = start;

    public ValueTask<long> NextAsync()
    {
        if (Last < limit && waiters.Count == 0)
        {
            Last++;
            if (limit - Last < step / 2)
            {
                StartRaise();
            }

            return ValueTask.FromResult(Last);
        }

        var waiter = new TaskCompletionSource<long>();
        waiters.Enqueue(waiter);
        StartRaise();
        return new ValueTask<long>(waiter.Task);
    }

    /// <summary>Gives <paramref name="seq"/> back if it is the last number handed out (and nobody waits): the next call gets it again.</summary>
    /// <returns>False if a later number was handed out: <paramref name="seq"/> is skipped.</returns>
    public bool TryGiveBack(long seq)
    {
        if (seq == Last && waiters.Count == 0)
        {
            Last--;
            return true;
        }

        return false;
    }

    private void StartRaise()
    {
        if (raising is null)
        {
            var raise = RaiseAsync();
            // A store that completes synchronously has already finished (and cleared 'raising') here.
            if (!raise.IsCompleted)
            {
                raising = raise;
            }
        }
    }

    private async Task RaiseAsync()
    {
        // Reserve exactly one step past the last number handed out: a crash then skips at most a step.
        var next = Math.Max(limit + 1, Last + step);
        try
        {
            await persistLimit(next);
            limit = next;
        }
        catch (Exception ex)
        {
            raising = null;
            while (waiters.TryDequeue(out var failed))
            {
                failed.SetException(ex);
            }

            return;
        }

        raising = null;
        while (Last < limit && waiters.TryDequeue(out var waiter))
        {
            waiter.SetResult(++Last);
        }

        if (waiters.Count > 0)
        {
            StartRaise();
        }
    }
}
