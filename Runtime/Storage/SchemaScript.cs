namespace ChatCluster.Runtime.Storage;

/// <summary>Reads the SQL schema files that are embedded in this assembly.</summary>
internal static class SchemaScript
{
    public static string Load(string logicalName)
    {
        using var stream = typeof(SchemaScript).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Schema resource '{logicalName}' is missing from {typeof(SchemaScript).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
