using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// Keeps a stand-alone gateway trying to reach its cluster at start-up until it does (Redis not there yet, no silo
/// registered yet, a silo not answering), waiting 1 s more after each failed attempt up to 5 s, and logging each one.
/// Orleans' own filter gives up after 15 attempts; a gateway started before its silos must simply wait for them.
/// </summary>
public sealed partial class ClusterConnectionRetryFilter(ILogger<ClusterConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private int attempts;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var attempt = Interlocked.Increment(ref attempts);
        var delay = TimeSpan.FromSeconds(Math.Min(attempt, MaxDelay.TotalSeconds));
        LogRetrying(logger, attempt, exception.GetType().Name, exception.Message, delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting for the cluster (Ctrl+C, SIGTERM).
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster not reachable yet (attempt {Attempt}: {Error}: {Reason}); trying again in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, int attempt, string error, string reason, double seconds);
}
