using System.Globalization;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// A Redis that restarts empty (no AOF) loses Orleans' membership table, which Orleans' Redis clustering cannot
/// recover from until every silo restarts: the silo says so in an error line that names what happened and what to do.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class RedisEmptiedTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task A_silo_whose_redis_restarts_empty_reports_the_lost_membership_table_in_an_error_line()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: false);
        var database = await (await SharedServers.Postgres).CreateUniqueDatabaseAsync("emptied");
        var clusterId = "emptied-" + Guid.NewGuid().ToString("N")[..8];
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__CLUSTERID"] = clusterId,
            ["CHATCLUSTER__CLUSTER__SILOPORT"] = FreePort.Get().ToString(CultureInfo.InvariantCulture),
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = redis.Endpoint,
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database,
            ["CHATCLUSTER__GATEWAY__SIGNINGKEY"] = ProcessCluster.SigningKey,
        });
        await silo.WaitHealthyAsync(ProcessCluster.StartTimeout);

        Assert.DoesNotContain("is gone from Redis", silo.Output, StringComparison.Ordinal);

        // Without AOF the restarted Redis is empty: the table, and the log with it, are gone.
        await redis.RestartAsync();
        var expected = $"Orleans' membership table of cluster {clusterId} is gone from Redis";
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!silo.Output.Contains(expected, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no error line about the lost membership table within 60 s:\n{silo.Output}");
            await Task.Delay(200);
        }

        var lines = silo.Output.Split('\n');
        var at = Array.FindIndex(lines, l => l.Contains(expected, StringComparison.Ordinal));
        output.WriteLine($"{lines[at - 1].Trim()} {lines[at].Trim()}");
        Assert.StartsWith("fail:", lines[at - 1].Trim(), StringComparison.Ordinal);
        Assert.Contains("restart every silo of the cluster", lines[at], StringComparison.Ordinal);
        Assert.Contains("appendonly yes", lines[at], StringComparison.Ordinal);
        Assert.True(silo.IsRunning);
    }
}
