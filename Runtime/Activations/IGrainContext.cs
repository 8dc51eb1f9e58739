using System.ComponentModel;

namespace ChatCluster.Runtime;

/// <summary>
/// What a grain's constructor gets from the activation that creates it. Used by generated grain
/// factories to hand out persistent state; not for hand-written code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGrainContext
{
    /// <summary>The id of the grain being created.</summary>
    GrainId Id { get; }

    /// <summary>The named persistent state of this grain, read before <see cref="Grain.OnActivateAsync"/>.</summary>
    IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName) where TState : new();
}
