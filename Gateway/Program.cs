using ChatCluster.Gateway.Configuration;
using ChatCluster.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;

// The stand-alone gateway: WebSockets on http://127.0.0.1:5200 (or Urls), an Orleans client of the cluster whose silos
// it finds in Redis. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
WebApplication? app = null;
var stopping = CancellationToken.None;
try
{
    app = StandaloneGateway.Build(args);
    // Taken now: RunAsync disposes the host (and its lifetime service) before a failed start reaches the catch below.
    stopping = app.Lifetime.ApplicationStopping;
    await app.RunAsync();
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    // Stopped (Ctrl+C, SIGTERM) while still waiting for the cluster: nothing was served, nothing to clean up.
}
catch (Exception ex) when (StartupFailure.Describe(ex) is { } reason)
{
    // A missing or bad setting, or a taken port: say which and stop, without a stack trace (and never the Redis password).
    await Console.Error.WriteLineAsync($"ChatCluster gateway cannot start: {reason}");
    return 2;
}

// Built: a failed Build returned 2 or threw above.
GatewayLog.Stopped(app!.Logger);
return 0;
