namespace ChatCluster.Silo.Configuration;

/// <summary>Configuration section <c>ChatCluster:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "ChatCluster:Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>
    /// The folder of the SQLite files (relative to the working directory): <c>grains.db</c> (grain state),
    /// <c>log.db</c> (the message log) and <c>messages.db</c> (stored messages), each with its own writer.
    /// </summary>
    public string SqliteDirectory { get; set; } = "data";

    /// <summary>The PostgreSQL connection string (a secret: give it by environment, never log it).</summary>
    public string? PostgresConnectionString { get; set; }

    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            yield return $"{Section}:Provider is '{Provider}'; it must be one of {string.Join(", ", Enum.GetNames<StorageProvider>())}.";
        }

        if (string.IsNullOrWhiteSpace(SqliteDirectory))
        {
            yield return $"{Section}:SqliteDirectory is empty; it must name the folder of the SQLite files (default data).";
        }

        if (Provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            yield return $"{Section}:PostgresConnectionString is required when {Section}:Provider is Postgres "
                + "(e.g. CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING=\"Host=127.0.0.1;Username=…;Password=…;Database=chatcluster\").";
        }
    }
}
