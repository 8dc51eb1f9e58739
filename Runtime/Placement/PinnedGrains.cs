using System.Collections.Concurrent;
using System.Reflection;

namespace ChatCluster.Runtime.Placement;

/// <summary>
/// The grain types marked <see cref="PinnedGrainAttribute"/>, learned once per interface when its proxy
/// or its grain class is first seen, and where their grains live (the endpoint at the front of the key).
/// </summary>
internal static class PinnedGrains
{
    private static readonly ConcurrentDictionary<string, bool> Types = new(StringComparer.Ordinal);

    /// <summary>Remembers <paramref name="grainType"/> as pinned if <paramref name="grainInterface"/> is marked.</summary>
    public static void Learn(Type grainInterface, string grainType)
    {
        if (grainInterface.GetCustomAttribute<PinnedGrainAttribute>() is not null)
        {
            Types[grainType] = true;
        }
    }

    public static bool IsPinned(string grainType) => Types.ContainsKey(grainType);

    /// <summary>The <c>host:port</c> a pinned grain's key starts with; false when the key has no endpoint in front.</summary>
    public static bool TryGetEndpoint(string key, out string endpoint)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        endpoint = slash > 0 ? key[..slash] : "";
        return slash > 0;
    }
}
