using ChatCluster.Gateway.Configuration;
using ChatCluster.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

// The stand-alone gateway: WebSockets on http://127.0.0.1:5200 (or Urls), an Orleans client of the cluster whose silos
// it finds in Redis. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
WebApplication app;
var stopping = CancellationToken.None;
try
{
    app = StandaloneGateway.Build(args);
    stopping = app.Lifetime.ApplicationStopping;
    await app.StartAsync();
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped (Ctrl+C, SIGTERM) while still waiting for the cluster: nothing was served, nothing to clean up.
    return 0;
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } reason)
{
    // A missing or bad setting, or a taken port: say which and stop, without a stack trace (and never the Redis password).
    await Console.Error.WriteLineAsync($"ChatCluster gateway cannot start: {reason}");
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
        GatewayLog.StopFailed(app.Logger, ex);
        return 1;
    }

    GatewayLog.Stopped(app.Logger);
    return 0;
}
