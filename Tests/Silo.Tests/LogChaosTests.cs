using ChatCluster.Testing.Processes;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// The servers under the cluster fail while a steady load of direct messages flows through two WebSocket endpoints to
/// three silos (a private Redis with AOF and a private PostgreSQL, so they can be stopped). Afterwards every acked
/// message is in <c>sync</c> and in PostgreSQL, once, and no seq is used twice.
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class LogChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);

    /// <summary>Sends wait out a stopped server only as long as grains need it; bounded by the outage, with room to recover.</summary>
    private static readonly TimeSpan LongestWaitAllowed = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 300_000)]
    public async Task PostgreSQL_stopped_for_20_seconds_delays_persistence_but_not_pushes_and_nothing_acked_is_lost()
    {
        await using var cluster = await ChaosCluster.StartAsync(privateServers: true);
        await using var load = await ChaosCluster.StartLoadAsync(cluster);

        // Grains already active keep taking sends: they need the database only to raise a sequence bound or to
        // activate; the log (Redis) holds the messages, the push group delivers them, and the persistence group
        // retries until PostgreSQL is back.
        await cluster.Postgres.StopAsync();
        var (from, ackedBefore) = (DateTime.UtcNow, load.AckedIds());
        await Task.Delay(Outage);
        var to = DateTime.UtcNow;
        await cluster.Postgres.StartAgainAsync();
        var ackedDuring = load.AckedBetween(from, to);
        var pushedDuring = load.PushedBetween(from, to, ackedBefore);

        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        await load.StopAsync();
        output.WriteLine($"while PostgreSQL was down ({Outage.TotalSeconds:F0} s): {ackedDuring} sends acked, {pushedDuring} pushes of new messages received");
        Assert.True(pushedDuring > 0, "no push of a new message arrived while PostgreSQL was down");
        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }

    [Fact(Timeout = 300_000)]
    public async Task Redis_restarted_from_its_append_only_file_loses_no_acked_message()
    {
        await using var cluster = await ChaosCluster.StartAsync(privateServers: true);
        await using var load = await ChaosCluster.StartLoadAsync(cluster);

        // A restart well inside the death timeout: the log and the membership table come back from the AOF, the
        // processes' connections reconnect, and sends refused meanwhile are resent by the client.
        var acked = load.Acked;
        await cluster.Redis.RestartAsync();
        output.WriteLine($"Redis restarted; {load.Acked - acked} sends acked meanwhile");

        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        await cluster.WaitUntilAllSeeAsync(3);
        await load.StopAsync();
        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }
}
