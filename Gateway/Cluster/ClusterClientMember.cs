using ChatCluster.Gateway.Connections;
using ChatCluster.Gateway.Health;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// A stand-alone gateway as the health endpoints report it: ready while its Orleans client holds a connection to at
/// least one silo (Orleans tells it through <see cref="IClusterConnectionStatusObserver"/>), and the active silos as the
/// cluster's membership table in Redis lists them (read there, not asked of a silo, which may not answer).
/// </summary>
public sealed partial class ClusterClientMember(IMembershipTable membership, ConnectionRegistry registry, ILogger<ClusterClientMember> logger)
    : IClusterMember, IClusterConnectionStatusObserver
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);
    private int connectedSilos;

    public string Role => "client";

    /// <summary>The gateway's id, which every session of its connections carries.</summary>
    public string Name => registry.GatewayId;

    public string? NotReady => Volatile.Read(ref connectedSilos) > 0 ? null : "disconnected";

    /// <summary>A client hosts no grains.</summary>
    public int Activations => 0;

    /// <summary>Active silos in the membership table; 0 while Redis cannot be read within 2 s.</summary>
    public async Task<int> ActiveSilosAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            var table = await membership.ReadAllAsync(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            return table.Members.Count(m => m.Item1.Status == SiloStatus.Active);
        }
        catch (Exception ex)
        {
            // Redis down or slow: the probe still answers (liveness is this process's, not Redis's).
            LogMembershipUnreadable(logger, ex);
            return 0;
        }
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        Volatile.Write(ref connectedSilos, currentNumberOfGateways);
        if (connectionRecovered)
        {
            LogConnected(logger, currentNumberOfGateways);
        }
    }

    public void NotifyClusterConnectionLost()
    {
        Volatile.Write(ref connectedSilos, 0);
        LogLost(logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the cluster ({Silos} silo gateways)")]
    private static partial void LogConnected(ILogger logger, int silos);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to every silo of the cluster; retrying as silos come back (readyz 503 meanwhile)")]
    private static partial void LogLost(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The membership table could not be read for /healthz")]
    private static partial void LogMembershipUnreadable(ILogger logger, Exception exception);
}
