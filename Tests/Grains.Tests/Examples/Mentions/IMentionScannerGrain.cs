namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>The mentions consumer of one log partition (key: the partition number); the log feeds it, it has no methods.</summary>
[Alias("example.IMentionScannerGrain")]
public interface IMentionScannerGrain : IGrainWithStringKey;
