namespace ChatCluster.Silo.Tests;

/// <summary>Why the process-level cluster tests are skipped in this build.</summary>
internal static class ClusterModeMove
{
    public const string Reason = "Cluster mode is being moved to Orleans (issue 13): this build runs the embedded silo only.";
}
