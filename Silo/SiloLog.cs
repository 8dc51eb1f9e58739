namespace ChatCluster.Silo;

/// <summary>The silo host's own log lines.</summary>
internal static partial class SiloLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "ChatCluster silo starting: {Storage}")]
    public static partial void Starting(ILogger logger, string storage);

    [LoggerMessage(Level = LogLevel.Information, Message = "ChatCluster silo stopped: every grain deactivated")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "ChatCluster silo stopped with an error")]
    public static partial void StopFailed(ILogger logger, Exception exception);
}
