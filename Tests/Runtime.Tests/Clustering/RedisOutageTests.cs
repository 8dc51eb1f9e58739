using System.Diagnostics;
using ChatCluster.Runtime.Clustering;
using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;
using Xunit.Abstractions;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>A silo cut off from Redis fences itself after DeathTimeout and rejoins with a new epoch when Redis is back.</summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    [Fact(Timeout = 60_000)]
    public async Task A_silo_that_cannot_heartbeat_for_the_death_timeout_fences_itself_and_rejoins_when_redis_is_back()
    {
        // A server of its own: this test stops it. Without AOF its data is gone on restart, like a wiped table.
        await using var server = await RedisServer.StartAsync();
        await using var connection = new RedisConnection(new RedisOptions { Endpoint = server.Endpoint, CommandTimeout = TimeSpan.FromSeconds(1) });
        var options = new ClusterOptions
        {
            Provider = ClusterProvider.Redis,
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            RefreshInterval = TimeSpan.FromMilliseconds(100),
            ProbeInterval = TimeSpan.FromMilliseconds(100),
            ProbeTimeout = TimeSpan.FromMilliseconds(100),
            SuspicionWindow = TimeSpan.FromSeconds(2),
            DeathTimeout = TimeSpan.FromSeconds(2),
        };
        var clock = Stopwatch.StartNew();
        var logger = new OutputLogger<MembershipService>(output, "silo", clock);
        await using var service = new MembershipService(new RedisMembershipTable(connection, options.KeyPrefix), options, "127.0.0.1", 21000,
            (_, _) => Task.FromResult(true), logger);
        var versions = new System.Collections.Concurrent.ConcurrentQueue<long>();
        service.ViewChanged += (_, e) => versions.Enqueue(e.View.Version);
        var fenced = new TaskCompletionSource<SiloFencedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Fenced += (_, e) => fenced.TrySetResult(e);
        await service.StartAsync(CancellationToken.None);
        var old = service.Address;

        output.WriteLine($"{clock.Elapsed.TotalMilliseconds:0} ms: stopping Redis");
        var outage = Stopwatch.StartNew();
        await server.StopAsync();
        var fence = await fenced.Task.WaitAsync(TimeSpan.FromSeconds(15));
        output.WriteLine($"Fenced {outage.Elapsed.TotalMilliseconds:0} ms into the outage: {fence.Reason}");

        Assert.Equal(old, fence.Address);
        Assert.False(service.IsServing);
        Assert.StartsWith("it could not heartbeat for", fence.Reason, StringComparison.Ordinal);

        await server.StartAgainAsync();
        var deadline = Stopwatch.StartNew();
        while (!service.IsServing && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(20);
        }

        Assert.True(service.IsServing, "it should rejoin once Redis answers");
        Assert.NotEqual(old, service.Address);
        Assert.True(service.Address.Epoch > old.Epoch);
        var view = await new RedisMembershipTable(connection, options.KeyPrefix).ReadAsync(CancellationToken.None);
        Assert.Equal([service.Address], view.ActiveSilos);
        Assert.Equal(view.Version, service.View.Version); // the lost table's versions went on growing, so the silo took the new view
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
    }
}
