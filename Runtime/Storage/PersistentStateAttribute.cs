namespace ChatCluster.Runtime;

/// <summary>
/// Injects an <see cref="IPersistentState{TState}"/> into a grain constructor parameter.
/// </summary>
/// <param name="stateName">The state's name, unique within the grain type; part of the stored key.</param>
/// <param name="storageName">The storage provider's name; null for the default provider.</param>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string? storageName = null) : Attribute
{
    /// <summary>The state's name, unique within the grain type.</summary>
    public string StateName { get; } = stateName;

    /// <summary>The storage provider's name; null for the default provider.</summary>
    public string? StorageName { get; } = storageName;
}
