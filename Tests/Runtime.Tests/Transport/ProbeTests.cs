using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>ProbeAsync, which membership uses to check peers: true for a live one, false within the timeout otherwise.</summary>
public sealed class ProbeTests
{
    [Fact(Timeout = 30_000)]
    public async Task Probe_is_true_for_a_live_peer_and_false_once_it_stopped()
    {
        await using var a = await TransportSilo.StartAsync();
        var b = await TransportSilo.StartAsync();
        var endpoint = b.EndPoint;

        Assert.True(await a.Transport.ProbeAsync(endpoint, TimeSpan.FromSeconds(2)));
        Assert.True(await a.Transport.ProbeAsync(endpoint, TimeSpan.FromSeconds(2)));
        await b.DisposeAsync();

        var stopwatch = Stopwatch.StartNew();
        Assert.False(await a.Transport.ProbeAsync(endpoint, TimeSpan.FromSeconds(1)));
        Assert.True(stopwatch.ElapsedMilliseconds < 1_500, $"took {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact(Timeout = 30_000)]
    public async Task Probe_is_false_for_a_port_nobody_listens_on()
    {
        await using var a = await TransportSilo.StartAsync();

        Assert.False(await a.Transport.ProbeAsync(ConnectionFailureTests.DeadEndPoint(), TimeSpan.FromSeconds(1)));
    }

    [Fact(Timeout = 30_000)]
    public async Task Probe_of_a_peer_that_accepts_but_never_answers_is_false_after_the_timeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var a = await TransportSilo.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        var alive = await a.Transport.ProbeAsync((IPEndPoint)silent.LocalEndpoint, TimeSpan.FromMilliseconds(300));

        Assert.False(alive);
        Assert.InRange(stopwatch.ElapsedMilliseconds, 250, 2_000);
    }
}
