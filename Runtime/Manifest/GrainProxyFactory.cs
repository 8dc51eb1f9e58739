namespace ChatCluster.Runtime.Manifest;

/// <summary>The generated proxy factory of one grain interface, found once and then read from a static field.</summary>
internal static class GrainProxyFactory<TInterface> where TInterface : IGrainWithStringKey
{
    public static readonly Func<string, GrainRuntime, TInterface> Create = Find();

    private static Func<string, GrainRuntime, TInterface> Find()
    {
        foreach (var (type, grainType, createProxy) in AssemblyManifest.Of(typeof(TInterface).Assembly).Interfaces)
        {
            if (type == typeof(TInterface))
            {
                Placement.PinnedGrains.Learn(type, grainType);
                return (Func<string, GrainRuntime, TInterface>)createProxy;
            }
        }

        return (_, _) => throw new InvalidOperationException(
            $"No proxy was generated for {typeof(TInterface).FullName}. Is the ChatCluster.Runtime.Generator analyzer referenced by {typeof(TInterface).Assembly.GetName().Name}?");
    }
}
