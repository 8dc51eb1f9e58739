using ChatCluster.Gateway.Configuration;
using ChatCluster.Silo;

// The silo host. With no arguments: the embedded default, one process, SQLite under ./data,
// the gateway at ws://127.0.0.1:5000/ws. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
WebApplication app;
try
{
    app = SiloHost.Build(args);
    await app.StartAsync();
}
catch (Exception ex) when (StartupFailure.Describe(ex, e => e is ChatCluster.Grains.StorageUnavailableException or Npgsql.NpgsqlException
    or ChatCluster.Streams.LogUnavailableException or Orleans.Runtime.OrleansConfigurationException) is { } reason)
{
    // A bad setting, unreachable storage or log, a log that does not fit the settings, or a taken port: say which and stop, without a stack trace.
    await Console.Error.WriteLineAsync($"ChatCluster cannot start: {reason}");
    return 2;
}

// Started: from here a failure is not the operator's setting but something to investigate, so it is logged whole.
await using (app)
{
    try
    {
        await app.WaitForShutdownAsync();
    }
    catch (Exception ex)
    {
        SiloLog.StopFailed(app.Logger, ex);
        return 1;
    }

    SiloLog.Stopped(app.Logger);
    return 0;
}
