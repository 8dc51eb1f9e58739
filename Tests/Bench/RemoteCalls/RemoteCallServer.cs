using ChatCluster.Bench.GrainCalls;
using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>The server silo: hosts the no-op grain behind a transport listener until its standard input closes (its parent ended).</summary>
internal static class RemoteCallServer
{
    public const string ReadyPrefix = "remote-calls-server listening on ";

    public static async Task<int> RunAsync(int port, TextWriter output)
    {
        await using var silo = await StartSiloAsync(port);
        await output.WriteLineAsync(ReadyPrefix + silo.Runtime.Transport!.LocalEndPoint);
        await output.FlushAsync();
        await Console.In.ReadToEndAsync();
        return 0;
    }

    /// <summary>A silo with the bench grains, memory storage and a transport on 127.0.0.1.</summary>
    public static async Task<BenchRuntime> StartSiloAsync(int port)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGrainRuntime().AddGrains(typeof(INoopGrain).Assembly).AddMemoryGrainStorage().AddTransport(configure: o => o.Port = port);
        var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<GrainRuntime>();
        await runtime.StartAsync(CancellationToken.None);
        return new BenchRuntime(provider, runtime);
    }
}

/// <summary>A started runtime and its services, stopped together.</summary>
internal sealed class BenchRuntime(ServiceProvider services, GrainRuntime runtime) : IAsyncDisposable
{
    public GrainRuntime Runtime { get; } = runtime;

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Runtime.StopAsync(timeout.Token);
        await services.DisposeAsync();
    }
}
