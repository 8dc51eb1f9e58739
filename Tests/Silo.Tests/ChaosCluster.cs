using ChatCluster.Testing.Processes;
using Xunit.Abstractions;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// What the chaos tests share: a cluster of three silos and two stand-alone gateway processes, a steady load of direct
/// messages through the gateways, a silo to hurt, and the checks after the harm.
/// </summary>
internal static class ChaosCluster
{
    /// <summary>How long the cluster may take to settle after a change (the machine is shared: generous).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public static Task<ProcessCluster> StartAsync(bool privateServers = false) =>
        ProcessCluster.StartAsync(silos: 3, gateways: 2, privateServers: privateServers);

    /// <summary>The silo a test stops, kills or freezes: the last one (the gateways' Orleans clients call every silo).</summary>
    public static SiloProcess Victim(ProcessCluster cluster) => cluster.Silos[2];

    /// <summary>12 senders to 40 online recipients through the two gateways, running until 200 sends are acked.</summary>
    public static async Task<DirectMessageLoad> StartLoadAsync(ProcessCluster cluster)
    {
        var load = await DirectMessageLoad.StartAsync(cluster, cluster.Gateways, senderCount: 12, recipients: 40);
        await load.WaitForAcksAsync(200, Settle);
        return load;
    }

    /// <summary>
    /// Writes the load's outcome (resent sends, the longest wait), then checks that no send failed, that none waited
    /// <paramref name="longestWaitAllowed"/> or more, and that every acked message is in PostgreSQL and in <c>sync</c>
    /// once, at its seq.
    /// </summary>
    public static async Task VerifyAsync(ProcessCluster cluster, DirectMessageLoad load, ITestOutputHelper output, TimeSpan longestWaitAllowed)
    {
        output.WriteLine(load.Summary());
        output.WriteLine("logged most:\n" + load.LoggedDigest());
        load.AssertNoFailures(output);
        Assert.True(load.LongestWait < longestWaitAllowed, $"a send waited {load.LongestWait.TotalSeconds:F1} s for its answer");
        await load.VerifyStoredAsync(cluster.Database, Settle);
        await load.VerifyAsync(cluster.Gateways[1]);
    }
}
