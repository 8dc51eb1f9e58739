using ChatCluster.Testing.Processes;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// The servers under the log fail while a steady load of direct messages flows through two gateway processes to
/// three silos (private Redis with AOF and private PostgreSQL, so they can be stopped). Afterwards every acked message
/// is in <c>sync</c> and in PostgreSQL, once, and no seq is used twice.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class LogChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 420_000, Skip = ClusterModeMove.Reason)]
    public async Task PostgreSQL_stopped_for_20_seconds_delays_persistence_but_not_acks_and_nothing_acked_is_lost()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3, gateways: 2, privateServers: true);
        await using var load = await DirectMessageLoad.StartAsync(cluster, cluster.Gateways, senderCount: 12, recipients: 40);
        await load.WaitForAcksAsync(300, Settle);

        // Grains already active keep taking sends: they need the database only to raise a sequence bound or to
        // activate; the log holds the messages and the persistence group retries until PostgreSQL is back.
        await cluster.Postgres.StopAsync();
        var ackedBefore = load.Acked;
        await Task.Delay(TimeSpan.FromSeconds(20));
        var ackedDuring = load.Acked - ackedBefore;
        await cluster.Postgres.StartAgainAsync();

        await load.WaitForAcksAsync(300, Settle);
        await load.StopAsync();
        output.WriteLine($"acked {ackedDuring} sends while PostgreSQL was down, {load.Acked} in all; retried sends {load.RetriedSends}; failures {load.Failures.Count}");
        Assert.True(ackedDuring > 0, "no send was acked while PostgreSQL was down");
        load.AssertNoFailures(output);
        await load.VerifyStoredAsync(cluster.Database, Settle);
        await load.VerifyAsync(cluster.Gateways[1]);
    }

    [Fact(Timeout = 420_000, Skip = ClusterModeMove.Reason)]
    public async Task Redis_restarted_with_its_append_only_file_loses_no_acked_message()
    {
        await using var cluster = await ProcessCluster.StartAsync(silos: 3, gateways: 2, privateServers: true);
        await using var load = await DirectMessageLoad.StartAsync(cluster, cluster.Gateways, senderCount: 12, recipients: 40);
        await load.WaitForAcksAsync(300, Settle);

        // A restart well inside the death timeout (5 s): the log and the membership table come back from the AOF, the
        // silos' connections reconnect, and sends refused meanwhile are resent by the client.
        await cluster.Redis.StopAsync();
        await cluster.Redis.StartAgainAsync();

        await load.WaitForAcksAsync(300, Settle);
        await load.StopAsync();
        output.WriteLine($"acked {load.Acked}; retried sends {load.RetriedSends}; failures {load.Failures.Count}");
        load.AssertNoFailures(output);
        await load.VerifyStoredAsync(cluster.Database, Settle);
        await load.VerifyAsync(cluster.Gateways[0]);
    }
}
