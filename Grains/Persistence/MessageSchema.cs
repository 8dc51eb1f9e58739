namespace ChatCluster.Grains.Persistence;

/// <summary>Reads the message stores' SQL schema files, which are embedded in this assembly.</summary>
internal static class MessageSchema
{
    public static string Load(string logicalName)
    {
        using var stream = typeof(MessageSchema).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"Schema resource '{logicalName}' is missing from {typeof(MessageSchema).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
