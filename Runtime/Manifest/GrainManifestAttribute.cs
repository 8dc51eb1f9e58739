using System.ComponentModel;

namespace ChatCluster.Runtime.Manifest;

/// <summary>Points from an assembly to its generated <see cref="IGrainManifestProvider"/>. Emitted by the source generator.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class GrainManifestAttribute(Type providerType) : Attribute
{
    /// <summary>The generated provider type.</summary>
    public Type ProviderType { get; } = providerType;
}
