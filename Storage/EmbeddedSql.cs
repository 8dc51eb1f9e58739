using System.Reflection;

namespace ChatCluster.Storage;

/// <summary>Reads the SQL scripts embedded in this assembly (see the csproj for their logical names).</summary>
internal static class EmbeddedSql
{
    public const string PostgresStorage = "ChatCluster.Storage.Postgres.orleans-storage.sql";
    public const string SqliteSchema = "ChatCluster.Storage.Sqlite.schema.sql";

    public static string Load(string resourceName)
    {
        using var stream = typeof(EmbeddedSql).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{resourceName}' is missing from {typeof(EmbeddedSql).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
