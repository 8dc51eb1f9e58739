using System.ComponentModel;

namespace ChatCluster.Runtime.Manifest;

/// <summary>Implemented by the class the source generator emits in every assembly with grains or grain interfaces.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IGrainManifestProvider
{
    /// <summary>Adds this assembly's grain interfaces and classes.</summary>
    void Populate(GrainManifestBuilder manifest);
}
