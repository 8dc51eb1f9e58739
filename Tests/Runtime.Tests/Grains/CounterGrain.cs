using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> counter) : Grain, ICounterGrain
{
    private readonly Guid activationId = Guid.NewGuid();

    public async Task<int> Increment()
    {
        counter.State.Count++;
        await counter.WriteStateAsync();
        return counter.State.Count;
    }

    public Task<int> Value() => Task.FromResult(counter.State.Count);

    public Task<Guid> ActivationId() => Task.FromResult(activationId);

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task Clear() => counter.ClearStateAsync();
}
