using System.Diagnostics;
using ChatCluster.Testing.Processes;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// Silo processes join, leave, crash and freeze while a steady load of direct messages flows through two stand-alone
/// gateway processes to three silos (<see cref="ChaosCluster"/>). After each change every acked message is in <c>sync</c> once at its acked seq and no seq is used twice (see
/// <see cref="DirectMessageLoad"/>): no two activations of a grain both committed; and PostgreSQL holds every acked
/// message once (the persistence group caught up, whichever silo consumed its partitions). Each test writes how many
/// sends needed a resend and the longest any send waited. A graceful leave and a SIGKILL run with the log in Redis
/// Streams and in Kafka (a test broker of the cluster's own); a join and a freeze with Redis Streams only (a frozen
/// silo that runs again is fenced off the Redis log, which Kafka cannot do).
/// </summary>
[Collection(ProcessClusters.Name)]
public sealed class ClusterChangesUnderLoadTests(ITestOutputHelper output)
{
    /// <summary>Generous: the target is 10 s when a silo dies or freezes, but the machine is shared and noisy.</summary>
    private static readonly TimeSpan LongestWaitAllowed = TimeSpan.FromSeconds(30);

    [Fact(Timeout = 300_000)]
    public async Task A_silo_joins_under_load_and_no_send_fails()
    {
        await using var cluster = await ChaosCluster.StartAsync();
        await using var load = await ChaosCluster.StartLoadAsync(cluster);

        // A 4th silo joins: grains placed from now on spread onto it, and it takes its share of the log's queues.
        var watch = Stopwatch.StartNew();
        await cluster.AddSiloAsync();
        await cluster.WaitUntilAllSeeAsync(4);
        output.WriteLine($"the new silo was seen by every process after {watch.Elapsed.TotalSeconds:F1} s");
        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        await load.StopAsync();

        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }

    [Theory(Timeout = 300_000)]
    [InlineData(ClusterLog.RedisStreams)]
    [InlineData(ClusterLog.Kafka)]
    public async Task A_silo_leaves_gracefully_under_load_and_no_send_fails(ClusterLog log)
    {
        await using var cluster = await ChaosCluster.StartAsync(log: log);
        await using var load = await ChaosCluster.StartLoadAsync(cluster);

        // SIGTERM: the silo stops as an orchestrator stops it, deactivating its grains (their state is in PostgreSQL)
        // and handing its queues over; it leaves every view, and its grains come back on the others at their next call.
        var leaving = ChaosCluster.Victim(cluster);
        var watch = Stopwatch.StartNew();
        var exitCode = await leaving.TerminateAsync(ChaosCluster.Settle);
        output.WriteLine($"the silo exited with {exitCode} after {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(exitCode == 0, $"the silo exited with {exitCode} after SIGTERM:\n{string.Join("\n", leaving.Output.Split('\n').TakeLast(60))}");
        await cluster.WaitUntilAllSeeAsync(2);
        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        await load.StopAsync();

        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }

    [Theory(Timeout = 300_000)]
    [InlineData(ClusterLog.RedisStreams)]
    [InlineData(ClusterLog.Kafka)]
    public async Task A_killed_silo_is_declared_dead_its_grains_and_queues_move_and_nothing_acked_is_lost(ClusterLog log)
    {
        await using var cluster = await ChaosCluster.StartAsync(log: log);
        await using var load = await ChaosCluster.StartLoadAsync(cluster);

        // SIGKILL: the others declare it dead (about 1-3 s as tuned), its grains come back on them from PostgreSQL,
        // and calls in flight to it fail after the 5 s call timeout: the gateway answers 'unavailable' and the client
        // resends. The victim reads queues of the persistence group: they move to the others, which take over what it
        // had read and not acknowledged.
        var victim = ChaosCluster.Victim(cluster);
        var owned = await StreamQueues.ConsumedByAsync(cluster, victim, "persist");
        Assert.True(owned.Count > 0, "the silo to be killed reads no queue of the persistence group");
        var watch = Stopwatch.StartNew();
        await victim.KillAsync();
        await cluster.WaitUntilAllSeeAsync(2);
        var detected = watch.Elapsed;
        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        var survivors = await StreamQueues.WaitUntilAllReadAsync(cluster, "persist", ChaosCluster.Settle);
        await load.StopAsync();

        output.WriteLine($"the killed silo (reader of persist queues {string.Join(",", owned)}) left every view after {detected.TotalSeconds:F1} s; "
            + $"the survivors read persist queues {string.Join(",", survivors)}");
        Assert.True(detected < TimeSpan.FromSeconds(30), $"the killed silo was still in some view after {detected.TotalSeconds:F1} s");
        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_frozen_silo_is_declared_dead_and_when_it_runs_again_it_stops_itself_and_nothing_acked_is_lost()
    {
        await using var cluster = await ChaosCluster.StartAsync();
        var frozen = ChaosCluster.Victim(cluster);
        await using var load = await ChaosCluster.StartLoadAsync(cluster);
        var others = cluster.Silos.Where(s => s != frozen).Concat(cluster.Gateways).ToList(); // a frozen silo does not answer /healthz

        // SIGSTOP: no heartbeats, no answers to probes, as behind a partition. The others declare it dead (about 9 s as
        // tuned: a vote waits while the silo was heard from recently) and take its grains and queues.
        var watch = Stopwatch.StartNew();
        output.WriteLine($"SIGSTOP at {DateTime.UtcNow:HH:mm:ss.fff}");
        frozen.Pause();
        TimeSpan declared;
        try
        {
            await cluster.WaitUntilAllSeeAsync(2, others, ChaosCluster.Settle);
            declared = watch.Elapsed;
            await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        }
        finally
        {
            output.WriteLine($"SIGCONT at {DateTime.UtcNow:HH:mm:ss.fff}");
            frozen.Resume();
        }

        // Running again, it learns from the membership table that it was declared dead. Orleans' answer: the silo kills
        // itself (its fatal-error handler fails the process fast); it never serves again under its old identity.
        watch.Restart();
        var exitCode = await frozen.WaitForExitAsync(ChaosCluster.Settle);
        var stopped = watch.Elapsed;
        var said = frozen.Output.Split('\n').Where(l => l.Contains("dead", StringComparison.OrdinalIgnoreCase)).Take(5).Select(l => l.Trim()).ToList();
        output.WriteLine($"the frozen silo said: {string.Join(" | ", said)}\n{string.Join("\n", frozen.Output.Split('\n').TakeLast(40))}");
        Assert.Contains("I have been told I am dead", frozen.Output, StringComparison.Ordinal);
        await load.WaitForAcksAsync(200, ChaosCluster.Settle);
        await cluster.WaitUntilAllSeeAsync(2);
        await load.StopAsync();

        output.WriteLine($"the frozen silo was declared dead after {declared.TotalSeconds:F1} s; after SIGCONT it exited with {exitCode} within {stopped.TotalSeconds:F1} s");
        Assert.NotEqual(0, exitCode);
        await ChaosCluster.VerifyAsync(cluster, load, output, LongestWaitAllowed);
    }
}
