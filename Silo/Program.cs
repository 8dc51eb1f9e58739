using ChatCluster.Grains;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Silo.Configuration;
using ChatCluster.Silo.Health;
using Microsoft.Extensions.Options;

// The silo host. With no arguments: the embedded default, one process, SQLite under ./data,
// http://127.0.0.1:5000. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
try
{
    var builder = WebApplication.CreateBuilder(args);
    var storage = SiloConfiguration.ReadStorage(builder.Configuration);
    builder.Services
        .AddGrainRuntime(builder.Configuration)
        .AddChat(builder.Configuration)
        .AddConfiguredStorage(storage);

    var app = builder.Build();
    app.MapHealth();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is OptionsValidationException or StorageUnavailableException
    or InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" })
{
    // A bad setting or unreachable storage: say which and stop, without a stack trace.
    await Console.Error.WriteLineAsync($"ChatCluster cannot start: {ex.Message}");
    return 2;
}
