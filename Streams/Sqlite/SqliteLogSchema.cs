namespace ChatCluster.Streams;

/// <summary>The log's tables (<c>schema.sql</c>, embedded), applied whenever a silo opens the file.</summary>
internal static class SqliteLogSchema
{
    private const string ResourceName = "ChatCluster.Streams.Sqlite.schema.sql";

    public static string Text { get; } = Load();

    private static string Load()
    {
        using var stream = typeof(SqliteLogSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(SqliteLogSchema).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
