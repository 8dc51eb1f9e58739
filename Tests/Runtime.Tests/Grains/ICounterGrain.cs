using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Increment();

    Task<int> Value();

    /// <summary>A value unique to the current activation, to tell activations apart.</summary>
    Task<Guid> ActivationId();

    Task Deactivate();

    Task Clear();
}
