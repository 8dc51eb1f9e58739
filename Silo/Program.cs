using ChatCluster.Runtime;
using ChatCluster.Silo;
using Microsoft.Extensions.Options;

// The silo host. With no arguments: the embedded default, one process, SQLite under ./data,
// the gateway at ws://127.0.0.1:5000/ws. Settings: appsettings.json, then CHATCLUSTER__SECTION__KEY environment variables.
try
{
    var app = SiloHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is OptionsValidationException or StorageUnavailableException
    or InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" }
    or IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException })
{
    // A bad setting, unreachable storage or a taken port: say which and stop, without a stack trace.
    await Console.Error.WriteLineAsync($"ChatCluster cannot start: {ex.Message}");
    return 2;
}
