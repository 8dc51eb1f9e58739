using ChatCluster.Gateway.Configuration;
using ChatCluster.Silo;

// The silo host. With no arguments: the embedded default, one process, SQLite under ./data,
// the gateway at ws://127.0.0.1:5000/ws. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
try
{
    var app = SiloHost.Build(args);
    await app.RunAsync();
    SiloLog.Stopped(app.Logger);
    return 0;
}
catch (Exception ex) when (StartupFailure.Describe(ex, e => e is ChatCluster.Grains.StorageUnavailableException or Npgsql.NpgsqlException) is { } reason)
{
    // A bad setting, unreachable storage or a taken port: say which and stop, without a stack trace.
    await Console.Error.WriteLineAsync($"ChatCluster cannot start: {reason}");
    return 2;
}
