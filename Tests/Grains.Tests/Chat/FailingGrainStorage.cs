using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>
/// Wraps a silo's named grain storage so that a test can make its writes fail, as a database that went down would, or
/// write a grain's state behind its back, as a second activation would; everything else goes to the real storage.
/// </summary>
internal sealed class FailingGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private volatile bool failing;
    private long failedWrites;

    /// <summary>Whether writes fail now.</summary>
    public bool Failing
    {
        get => failing;
        set => failing = value;
    }

    /// <summary>Writes refused so far.</summary>
    public long FailedWrites => Interlocked.Read(ref failedWrites);

    /// <summary>Replaces the registration of grain storage <paramref name="name"/> with a wrapper of it, handed to <paramref name="created"/>.</summary>
    public static void Wrap(IServiceCollection services, string name, Action<FailingGrainStorage> created)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, name));
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) =>
        {
            var wrapper = new FailingGrainStorage((IGrainStorage)original.KeyedImplementationFactory!(provider, key));
            created(wrapper);
            return wrapper;
        });
    }

    /// <summary>Rewrites a grain's stored state as it is, as another activation of the grain would: the grain's etag goes stale.</summary>
    public async Task RewriteBehindTheGrainAsync<T>(string stateName, GrainId grainId) where T : new()
    {
        var state = new GrainState<T>(new T());
        await inner.ReadStateAsync(stateName, grainId, state);
        await inner.WriteStateAsync(stateName, grainId, state);
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (failing)
        {
            Interlocked.Increment(ref failedWrites);
            throw new StorageUnavailableException("Grain storage is down (test).");
        }

        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle observer) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(observer);
}
