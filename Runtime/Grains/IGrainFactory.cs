namespace ChatCluster.Runtime;

/// <summary>Gets references to grains. A reference is cheap; the grain is activated on its first call.</summary>
public interface IGrainFactory
{
    /// <summary>A reference to the grain of interface <typeparamref name="TGrain"/> with the given key.</summary>
    /// <exception cref="ArgumentException">The key is empty or longer than <see cref="GrainId.MaxKeyLength"/>.</exception>
    TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey;
}
