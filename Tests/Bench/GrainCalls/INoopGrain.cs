using ChatCluster.Runtime;

namespace ChatCluster.Bench.GrainCalls;

public interface INoopGrain : IGrainWithStringKey
{
    Task Noop();
}

public sealed class NoopGrain : Grain, INoopGrain
{
    public Task Noop() => Task.CompletedTask;
}
