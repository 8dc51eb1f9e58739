using System.Net;
using ChatCluster.Client.Messages;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// The stand-alone gateway process (<c>dotnet ChatCluster.Gateway.dll</c>, an Orleans client that finds the silos in
/// Redis) beside silo processes in cluster mode: it waits for a cluster that is not there yet, its users and the silos'
/// users talk live, it refuses bad settings, and a gateway killed outright neither loses messages nor holds up pushes
/// to the users of other gateways.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class StandaloneGatewayTests
{
    private const string RedisPassword = "standalone-gateway-test-secret";

    [Fact(Timeout = 300_000)]
    public async Task A_gateway_started_before_the_silos_waits_for_them_and_its_users_talk_live_with_users_of_a_silo()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true, password: RedisPassword);
        var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("gateway");
        await using var cluster = new RedisClusterProcesses(redis, database);

        // No silo yet: the gateway keeps trying (and says so) rather than giving up.
        var gateway = cluster.StartGateway();
        await WaitForOutputAsync(gateway, "Cluster not reachable yet", cluster.Outputs);
        var first = cluster.StartSilo();
        var second = cluster.StartSilo();
        foreach (var process in new[] { first, second, gateway })
        {
            await process.WaitHealthyAsync(RedisClusterProcesses.StartTimeout);
        }

        await cluster.WaitUntilAllSeeAsync(2, first, second, gateway);
        using (var http = new HttpClient { BaseAddress = gateway.BaseAddress })
        {
            using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var health = await RedisClusterProcesses.HealthAsync(gateway);
        Assert.Equal(("ok", "client"), (health.GetProperty("status").GetString(), health.GetProperty("role").GetString()));

        var onGateway = new List<LiveUser>();
        var onSilo = new List<LiveUser>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                onGateway.Add(await LiveUser.ConnectAsync(gateway, $"gina{i}"));
                onSilo.Add(await LiveUser.ConnectAsync(i % 2 == 0 ? first : second, $"sam{i}"));
            }

            await RedisClusterSiloTests.ExchangeLiveAsync(onGateway, onSilo, cluster.Outputs);
        }
        finally
        {
            foreach (var user in onGateway.Concat(onSilo))
            {
                await user.DisposeAsync();
            }
        }

        Assert.Equal(0, await gateway.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"ChatCluster gateway starting: Redis clustering at {redis.Endpoint}, cluster {cluster.ClusterId}", gateway.Output, StringComparison.Ordinal);
        Assert.Contains("ChatCluster gateway stopped", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisPassword, cluster.Outputs(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_gateway_killed_outright_loses_no_message_to_its_users_and_holds_up_no_push_to_other_gateways()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true, password: RedisPassword);
        var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("gatewaykill");
        await using var cluster = new RedisClusterProcesses(redis, database);
        var silos = new[] { cluster.StartSilo(), cluster.StartSilo() };
        var doomed = cluster.StartGateway();
        var survivor = cluster.StartGateway();
        foreach (var process in silos.Append(doomed).Append(survivor))
        {
            await process.WaitHealthyAsync(RedisClusterProcesses.StartTimeout);
        }

        await cluster.WaitUntilAllSeeAsync(2, [.. silos, doomed, survivor]);

        // Users on the doomed gateway, on the surviving one and on a silo; several, so that their timelines' push
        // partitions (and so the push grains that call the doomed gateway) are spread over both silos.
        var onDoomed = new List<LiveUser>();
        var others = new List<(LiveUser OnSurvivor, LiveUser OnSilo)>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                onDoomed.Add(await LiveUser.ConnectAsync(doomed, $"dora{i}"));
                others.Add((await LiveUser.ConnectAsync(survivor, $"vic{i}"), await LiveUser.ConnectAsync(silos[i % 2], $"sid{i}")));
            }

            // Live before the kill, so every user's session is known to its grain.
            var warmUp = await others[0].OnSilo.Client.SendTextAsync($"user:{onDoomed[0].Name}", "before");
            await onDoomed[0].ReceiveAsync(m => m.MsgId == warmUp.MsgId, cluster.Outputs);

            await doomed.KillAsync();

            // Messages to the dead gateway's users interleaved with messages between the others: each of the latter is
            // pushed live; none waits out a push partition stuck on the dead gateway for Orleans' 30 s.
            var toDoomed = new List<(string To, SendAck Ack)>();
            var slowest = TimeSpan.Zero;
            for (var round = 0; round < 3; round++)
            {
                foreach (var ((onSurvivor, onSilo), dead) in others.Zip(onDoomed))
                {
                    toDoomed.Add((dead.Name, await onSilo.Client.SendTextAsync($"user:{dead.Name}", $"round {round} to {dead.Name}")));
                    toDoomed.Add((dead.Name, await onSurvivor.Client.SendTextAsync($"user:{dead.Name}", $"round {round} from {onSurvivor.Name}")));
                    var started = DateTime.UtcNow;
                    var ack = await onSilo.Client.SendTextAsync($"user:{onSurvivor.Name}", $"round {round} to {onSurvivor.Name}");
                    await onSurvivor.ReceiveAsync(m => m.MsgId == ack.MsgId, cluster.Outputs, TimeSpan.FromSeconds(25));
                    var back = await onSurvivor.Client.SendTextAsync($"user:{onSilo.Name}", $"round {round} to {onSilo.Name}");
                    await onSilo.ReceiveAsync(m => m.MsgId == back.MsgId, cluster.Outputs, TimeSpan.FromSeconds(25));
                    slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, (DateTime.UtcNow - started).Ticks));
                }
            }

            // The dead gateway's users come back through the surviving gateway: every message sent to them while they
            // were gone is in sync, and new ones are pushed to their new connection.
            foreach (var user in onDoomed)
            {
                await user.DisposeAsync();
            }

            onDoomed.Clear();
            foreach (var name in toDoomed.Select(m => m.To).Distinct())
            {
                var back = await LiveUser.ConnectAsync(survivor, name);
                onDoomed.Add(back);
                var inbox = await back.Client.SyncAsync($"user:{name}", 0, 500);
                foreach (var (_, ack) in toDoomed.Where(m => m.To == name))
                {
                    Assert.Contains(inbox.Messages, m => m.MsgId == ack.MsgId);
                }

                var fresh = await others[0].OnSilo.Client.SendTextAsync($"user:{name}", "welcome back");
                await back.ReceiveAsync(m => m.MsgId == fresh.MsgId, cluster.Outputs);
            }

            Assert.True(slowest < TimeSpan.FromSeconds(25), $"a round trip of pushes took {slowest}");
        }
        finally
        {
            foreach (var user in onDoomed.Concat(others.SelectMany(o => new[] { o.OnSurvivor, o.OnSilo })))
            {
                await user.DisposeAsync();
            }
        }

        Assert.DoesNotContain(RedisPassword, cluster.Outputs(), StringComparison.Ordinal);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(null, null, "ChatCluster:Redis:Configuration is required")]
    [InlineData("CHATCLUSTER__REDIS__CONFIGURATION", "127.0.0.1:6379,password=" + RedisPassword + ",nonsense=1", "ChatCluster:Redis:Configuration is not a valid StackExchange.Redis configuration string")]
    [InlineData("CHATCLUSTER__CLUSTER__CLUSTERID", "two words", "ChatCluster:Cluster:ClusterId is 'two words'")]
    [InlineData("CHATCLUSTER__RUNTIME__CALLTIMEOUT", "00:00:00", "ChatCluster:Runtime:CallTimeout is 00:00:00")]
    [InlineData("CHATCLUSTER__GATEWAY__SIGNINGKEY", "short", "ChatCluster:Gateway:SigningKey is 5 bytes")]
    public async Task A_gateway_with_a_missing_or_bad_setting_says_which_and_exits_2_without_the_redis_password(string? key, string? value, string expected)
    {
        var environment = new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = "refused",
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = RedisClusterProcesses.SigningKey,
        };
        if (key is not null)
        {
            environment["CHATCLUSTER__REDIS__CONFIGURATION"] = $"127.0.0.1:1,password={RedisPassword}";
            environment[key] = value!;
        }

        await using var gateway = SiloProcess.StartGateway(environment);
        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(50)));
        Assert.Contains($"ChatCluster gateway cannot start: {expected}", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(RedisPassword, gateway.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForOutputAsync(SiloProcess process, string text, Func<string> diagnostics)
    {
        var deadline = DateTime.UtcNow + RedisClusterProcesses.StartTimeout;
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(process.IsRunning && DateTime.UtcNow < deadline, $"the {process.Name} never said '{text}'\n{diagnostics()}");
            await Task.Delay(100);
        }
    }
}
