namespace ChatCluster.Grains.State;

/// <summary>
/// Writes a reentrant grain's state one write at a time. Two overlapping WriteStateAsync calls would
/// carry the same etag and the second would be refused; here a write requested while one is in flight
/// waits and is merged with every other request made meanwhile into one next write.
/// Grain code is single-threaded, so no locks are needed.
/// </summary>
internal sealed class CoalescingStateWriter<TState>(IPersistentState<TState> state) where TState : new()
{
    private Task? writing;
    private TaskCompletionSource? queued;

    /// <summary>Completes once a write that started after this call has stored the state.</summary>
    public Task WriteAsync()
    {
        if (writing is not null)
        {
            queued ??= new TaskCompletionSource();
            return queued.Task;
        }

        var write = WriteNowAsync();
        // A store that completes synchronously has already finished (and cleared 'writing') here.
        if (!write.IsCompleted)
        {
            writing = write;
        }

        return write;
    }

    private async Task WriteNowAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            writing = null;
            if (queued is { } next)
            {
                queued = null;
                _ = ForwardAsync(next);
            }
        }
    }

    private async Task ForwardAsync(TaskCompletionSource next)
    {
        try
        {
            await WriteAsync();
            next.SetResult();
        }
        catch (Exception ex)
        {
            next.SetException(ex);
        }
    }
}
