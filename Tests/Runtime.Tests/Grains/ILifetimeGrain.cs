using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

/// <summary>A grain that records when its activations start and when they have finished deactivating (see <see cref="LifetimeGrain.Events"/>).</summary>
public interface ILifetimeGrain : IGrainWithStringKey
{
    Task Touch();
}
