using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>A silo that stops gracefully answers every call it accepted before it closes its connections.</summary>
public sealed class GracefulStopTests
{
    [Fact(Timeout = 30_000)]
    public async Task Calls_running_when_the_silo_stops_are_answered_before_its_connections_close()
    {
        await using var caller = await TransportSilo.StartAsync();
        await using var stopping = await TransportSilo.StartAsync();
        caller.RouteAllTo(stopping);
        await caller.Runtime.GetGrain<ISerialProbeGrain>("warm-up").Noop();

        var calls = Enumerable.Range(0, 20).Select(i => caller.Runtime.GetGrain<ISerialProbeGrain>($"slow-{i}").Hang(300)).ToList();
        // Wait until every call runs at the stopping silo, so that each is in flight when it stops.
        while (stopping.Runtime.ActivationCount < 21)
        {
            await Task.Delay(10);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await stopping.Runtime.StopAsync(timeout.Token);

        // Each call succeeds: none failed with its connection.
        await Task.WhenAll(calls);
    }
}
