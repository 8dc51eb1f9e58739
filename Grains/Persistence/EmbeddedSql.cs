using System.Reflection;

namespace ChatCluster.Grains.Persistence;

/// <summary>Reads SQL files (schemas) embedded as resources, so a store applies the schema it was built with.</summary>
internal static class EmbeddedSql
{
    /// <summary>The text of the resource <paramref name="logicalName"/> of <paramref name="assembly"/>.</summary>
    /// <exception cref="InvalidOperationException">The assembly has no such resource.</exception>
    public static string Load(Assembly assembly, string logicalName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(logicalName);
        using var stream = assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"SQL resource '{logicalName}' is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
