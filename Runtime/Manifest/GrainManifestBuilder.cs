using System.ComponentModel;

namespace ChatCluster.Runtime.Manifest;

/// <summary>
/// Collects what the source generator found in one assembly: grain interfaces with their proxy
/// factories, and grain classes with their constructors. Called by generated code only.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class GrainManifestBuilder
{
    internal List<(Type Interface, string GrainType, Delegate CreateProxy)> Interfaces { get; } = [];

    internal List<(Type Interface, GrainClass Class)> Classes { get; } = [];

    /// <summary>Per grain type: method id to a new, empty call object of that method (for calls from other silos).</summary>
    internal Dictionary<string, Func<int, object?>> CallFactories { get; } = [];

    /// <summary>Registers a grain interface and the factory of its generated proxy.</summary>
    public void AddInterface<TInterface>(string grainType, Func<string, GrainRuntime, TInterface> createProxy)
        where TInterface : IGrainWithStringKey =>
        Interfaces.Add((typeof(TInterface), grainType, createProxy));

    /// <summary>
    /// Registers how to make the call object of each method of grain type <paramref name="grainType"/>
    /// from its method id (null for an unknown id), so that calls arriving from other silos can be read and run.
    /// </summary>
    public void AddCallFactory(string grainType, Func<int, object?> createCall) => CallFactories[grainType] = createCall;

    /// <summary>Registers a grain class that implements <typeparamref name="TInterface"/>.</summary>
    public void AddGrainClass<TInterface, TGrain>(string grainType, bool isReentrant, Func<IServiceProvider, IGrainContext, TGrain> create)
        where TInterface : IGrainWithStringKey
        where TGrain : Grain =>
        Classes.Add((typeof(TInterface), new GrainClass(grainType, typeof(TGrain), isReentrant, create)));
}
