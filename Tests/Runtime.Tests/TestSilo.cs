using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Tests;

/// <summary>A grain runtime in the test process, with the test grains and the storage a test asks for.</summary>
internal sealed class TestSilo : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private TestSilo(ServiceProvider services)
    {
        this.services = services;
        Runtime = services.GetRequiredService<GrainRuntime>();
    }

    public GrainRuntime Runtime { get; }

    public IGrainFactory Grains => Runtime;

    public static async Task<TestSilo> StartAsync(Action<GrainRuntimeBuilder> storage, Action<RuntimeOptions>? configure = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        var builder = collection.AddGrainRuntime(configure: configure).AddGrains(typeof(TestSilo).Assembly);
        storage(builder);
        var provider = collection.BuildServiceProvider();
        var silo = new TestSilo(provider);
        await silo.Runtime.StartAsync(CancellationToken.None);
        return silo;
    }

    public static Task<TestSilo> StartInMemoryAsync(Action<RuntimeOptions>? configure = null) =>
        StartAsync(b => b.AddMemoryGrainStorage(), configure);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Runtime.StopAsync(timeout.Token);
        await services.DisposeAsync();
    }
}
