using Orleans.Clustering.Redis;

namespace ChatCluster.Silo.Membership;

/// <summary>
/// Cluster mode: reads Orleans' membership table every few seconds and says loudly, in an error line, when it has
/// vanished. A Redis that restarts empty (run without <c>appendonly yes</c>), or whose keys were deleted, loses the
/// table, and Orleans' Redis clustering does not recover from that by itself: it only logs warnings that it will
/// retry, for ever, while no silo can join and the silos no longer learn of each other's deaths.
/// </summary>
public sealed partial class MembershipTableWatch(
    IMembershipTable table, ISiloStatusOracle status, string clusterId, ILogger<MembershipTableWatch> logger) : BackgroundService
{
    /// <summary>How often the table is read.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    /// <summary>How often the error is repeated while the table stays missing.</summary>
    public static readonly TimeSpan RepeatPeriod = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        DateTime? missingSince = null;
        var lastReported = DateTime.MinValue;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // Before the silo is active the table may not exist yet; after it stops, it is none of this silo's business.
            if (status.CurrentStatus != SiloStatus.Active)
            {
                continue;
            }

            try
            {
                await table.ReadAllAsync(stoppingToken);
                if (missingSince is { } since)
                {
                    LogTableBack(logger, clusterId, DateTime.UtcNow - since);
                    missingSince = null;
                }
            }
            catch (RedisClusteringException ex)
            {
                var now = DateTime.UtcNow;
                missingSince ??= now;
                if (now - lastReported >= RepeatPeriod)
                {
                    lastReported = now;
                    LogTableMissing(logger, clusterId, now - missingSince.Value, ex.Message);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Redis unreachable, say: Orleans logs that itself and recovers once Redis is back with its data.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Orleans' membership table of cluster {ClusterId} is gone from Redis (for {Missing}; Orleans says: {Reason}). "
        + "Redis lost its data: it restarted empty (run it with appendonly yes) or the keys were deleted. Orleans' Redis clustering does not recover from this: "
        + "silos cannot join and no longer learn of each other's failures, and the timeline log's records that were in that Redis and not yet persisted are lost. "
        + "What to do: restart every silo of the cluster (the first to start again writes a new table), and configure Redis with appendonly yes.")]
    private static partial void LogTableMissing(ILogger logger, string clusterId, TimeSpan missing, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Orleans' membership table of cluster {ClusterId} is in Redis again, after {Missing}")]
    private static partial void LogTableBack(ILogger logger, string clusterId, TimeSpan missing);
}
