using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Hosting;

/// <summary>The stand-alone gateway process's own log lines.</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "ChatCluster gateway starting: {Cluster}")]
    public static partial void Starting(ILogger logger, string cluster);

    [LoggerMessage(Level = LogLevel.Information, Message = "ChatCluster gateway stopped: its connections closed, its push observer removed")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "ChatCluster gateway stopped with an error")]
    public static partial void StopFailed(ILogger logger, Exception exception);
}
