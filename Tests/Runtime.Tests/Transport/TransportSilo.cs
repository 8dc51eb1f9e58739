using System.Net;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Tests.Redis;
using ChatCluster.Runtime.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>A test silo with a transport listening on 127.0.0.1 (a free port unless one is given), whose transport log is recorded.</summary>
internal sealed class TransportSilo : IAsyncDisposable
{
    private readonly TestSilo silo;

    private TransportSilo(TestSilo silo, RecordingLogger<SiloTransport> log)
    {
        this.silo = silo;
        Log = log;
    }

    public GrainRuntime Runtime => silo.Runtime;

    public SiloTransport Transport => silo.Runtime.Transport!;

    public IPEndPoint EndPoint => Transport.LocalEndPoint!;

    public RecordingLogger<SiloTransport> Log { get; }

    public static async Task<TransportSilo> StartAsync(int port = 0, TimeSpan? callTimeout = null, int maxPendingCalls = 10_000, int maxFrameBytes = 16 * 1024 * 1024)
    {
        var log = new RecordingLogger<SiloTransport>();
        var options = new TransportOptions { Port = port, MaxPendingCalls = maxPendingCalls, MaxFrameBytes = maxFrameBytes, ConnectTimeout = TimeSpan.FromSeconds(2) };
        var silo = await TestSilo.StartAsync(
            b =>
            {
                b.AddMemoryGrainStorage();
                b.Services.AddSingleton(new SiloTransport(options, log));
            },
            o => o.CallTimeout = callTimeout ?? TimeSpan.FromSeconds(30));
        return new TransportSilo(silo, log);
    }

    /// <summary>Sends every call this silo makes to <paramref name="target"/>'s silo.</summary>
    public void RouteAllTo(TransportSilo target)
    {
        var endpoint = target.EndPoint;
        Runtime.RemoteRoute = _ => endpoint;
    }

    public void RouteAllTo(IPEndPoint endpoint) => Runtime.RemoteRoute = _ => endpoint;

    public ValueTask DisposeAsync() => silo.DisposeAsync();
}
