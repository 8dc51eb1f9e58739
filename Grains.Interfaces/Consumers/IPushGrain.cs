namespace ChatCluster.Grains;

/// <summary>
/// The push consumer of one log partition (key: the partition number): delivers every message of the partition
/// to the connected devices of its recipients, through their gateways' <see cref="IGatewayObserver"/>s.
/// It has no methods: the log feeds it.
/// </summary>
[Alias("chat.IPushGrain")]
public interface IPushGrain : IGrainWithStringKey;
