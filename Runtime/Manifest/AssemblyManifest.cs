using System.Collections.Concurrent;
using System.Reflection;

namespace ChatCluster.Runtime.Manifest;

/// <summary>Reads (once per assembly) the manifest that the source generator emitted into it.</summary>
internal static class AssemblyManifest
{
    private static readonly ConcurrentDictionary<Assembly, GrainManifestBuilder> Cache = new();

    public static GrainManifestBuilder Of(Assembly assembly) => Cache.GetOrAdd(assembly, static a =>
    {
        var manifest = new GrainManifestBuilder();
        if (a.GetCustomAttribute<GrainManifestAttribute>() is { } attribute)
        {
            var provider = (IGrainManifestProvider)Activator.CreateInstance(attribute.ProviderType)!;
            provider.Populate(manifest);
        }

        return manifest;
    });
}
