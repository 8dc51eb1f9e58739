namespace ChatCluster.Silo.Tests;

/// <summary>
/// The test classes that start clusters of processes run one at a time: two clusters of five processes at once
/// on a 2-core machine starve each other into time-outs that say nothing about the code.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusters
{
    public const string Name = "process clusters";
}
