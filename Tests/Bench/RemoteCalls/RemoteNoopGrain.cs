using Orleans.Placement;

namespace ChatCluster.Bench.RemoteCalls;

[Alias("bench.IRemoteNoopGrain")]
public interface IRemoteNoopGrain : IGrainWithStringKey
{
    Task Noop();

    /// <summary>The silo the activation runs on.</summary>
    Task<string> Silo();
}

/// <summary>
/// The remote-calls bench's grain: placed on the silo whose code first calls it, so the server process activates all of
/// them before the bench's silo joins, and every call from the bench crosses to the server.
/// </summary>
[PreferLocalPlacement]
public sealed class RemoteNoopGrain : Grain, IRemoteNoopGrain
{
    public Task Noop() => Task.CompletedTask;

    public Task<string> Silo() => Task.FromResult(RuntimeIdentity);
}
