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

    /// <summary>Registers a grain interface and the factory of its generated proxy.</summary>
    public void AddInterface<TInterface>(string grainType, Func<string, GrainRuntime, TInterface> createProxy)
        where TInterface : IGrainWithStringKey =>
        Interfaces.Add((typeof(TInterface), grainType, createProxy));

    /// <summary>Registers a grain class that implements <typeparamref name="TInterface"/>.</summary>
    public void AddGrainClass<TInterface, TGrain>(string grainType, bool isReentrant, Func<IServiceProvider, IGrainContext, TGrain> create)
        where TInterface : IGrainWithStringKey
        where TGrain : Grain =>
        Classes.Add((typeof(TInterface), new GrainClass(grainType, typeof(TGrain), isReentrant, create)));
}
