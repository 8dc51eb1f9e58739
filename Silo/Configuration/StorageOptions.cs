namespace ChatCluster.Silo.Configuration;

/// <summary>Configuration section <c>ChatCluster:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "ChatCluster:Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>The SQLite database file, relative to the working directory.</summary>
    public string SqlitePath { get; set; } = "data/chatcluster.db";

    /// <summary>The PostgreSQL connection string (a secret: give it by environment, never log it).</summary>
    public string? PostgresConnectionString { get; set; }

    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            yield return $"{Section}:Provider is '{Provider}'; it must be one of {string.Join(", ", Enum.GetNames<StorageProvider>())}.";
        }

        if (Provider == StorageProvider.Sqlite && string.IsNullOrWhiteSpace(SqlitePath))
        {
            yield return $"{Section}:SqlitePath is empty; it must name the SQLite database file (default data/chatcluster.db).";
        }

        if (Provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            yield return $"{Section}:PostgresConnectionString is required when {Section}:Provider is Postgres "
                + "(e.g. CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING=\"Host=127.0.0.1;Username=…;Password=…;Database=chatcluster\").";
        }
    }
}
