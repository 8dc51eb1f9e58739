namespace ChatCluster.Streams;

/// <summary>The periodic trim every log runs: what all readers have checkpointed past is removed, period after period.</summary>
internal static class PeriodicTrim
{
    /// <summary>
    /// Runs <paramref name="trim"/> every <paramref name="period"/> until <paramref name="cancellationToken"/> is canceled or
    /// the log is disposed. A failed trim is reported to <paramref name="failed"/> and retried at the next period: nothing
    /// depends on it.
    /// </summary>
    public static async Task RunAsync(
        TimeSpan period, Func<Task<long>> trim, Action<long> trimmed, Action<Exception> failed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    var removed = await trim().ConfigureAwait(false);
                    if (removed > 0)
                    {
                        trimmed(removed);
                    }
                }
#pragma warning disable CA1031 // A failed trim is retried at the next period; nothing depends on it.
                catch (Exception ex) when (ex is not ObjectDisposedException)
#pragma warning restore CA1031
                {
                    failed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
