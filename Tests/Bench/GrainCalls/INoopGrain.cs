namespace ChatCluster.Bench.GrainCalls;

[Alias("bench.INoopGrain")]
public interface INoopGrain : IGrainWithStringKey
{
    Task Noop();
}

public sealed class NoopGrain : Grain, INoopGrain
{
    public Task Noop() => Task.CompletedTask;
}
