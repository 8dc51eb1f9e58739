using System.Collections.Concurrent;
using ChatCluster.Runtime.Manifest;

namespace ChatCluster.Runtime.Activations;

/// <summary>This silo's activations by grain id: at most one per id.</summary>
internal sealed class ActivationCatalog
{
    private readonly ConcurrentDictionary<GrainId, Activation> activations = new();

    public int Count => activations.Count;

    public ICollection<Activation> Snapshot() => activations.Values;

    /// <summary>The live activation of <paramref name="id"/>, created (not yet started) if there is none.</summary>
    public Activation GetOrCreate(GrainId id, GrainRuntime runtime, GrainClass grainClass)
    {
        if (activations.TryGetValue(id, out var existing))
        {
            return existing;
        }

        // Creating an activation has no side effects, so losing this race only wastes an object.
        return activations.GetOrAdd(id, new Activation(id, runtime, grainClass));
    }

    /// <summary>The live activation of <paramref name="id"/>, if there is one.</summary>
    public Activation? Find(GrainId id) => activations.GetValueOrDefault(id);

    public void Remove(Activation activation) => activations.TryRemove(new KeyValuePair<GrainId, Activation>(activation.Id, activation));
}
