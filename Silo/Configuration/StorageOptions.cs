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

    /// <summary>
    /// Connections per pool when <see cref="PostgresConnectionString"/> names no <c>Maximum Pool Size</c>: a silo has two
    /// pools (grain state, messages), and Npgsql's own default of 100 each lets three silos activating grains in a
    /// burst exceed PostgreSQL's default <c>max_connections</c> (100), which fails the activations instead of queueing them.
    /// </summary>
    public const int DefaultPostgresPoolSize = 20;

    /// <summary><see cref="PostgresConnectionString"/> with its pool bounded by <see cref="DefaultPostgresPoolSize"/> unless it sets its own.</summary>
    public string PooledPostgresConnectionString()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString);
        // Npgsql's builder reports every known key as present, so look at the keys the string itself names.
        var named = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = PostgresConnectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal));
        if (!named.Any(k => k.Equals("MaximumPoolSize", StringComparison.OrdinalIgnoreCase) || k.Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase)))
        {
            builder.MaxPoolSize = DefaultPostgresPoolSize;
        }

        return builder.ConnectionString;
    }

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
        else if (Provider == StorageProvider.Postgres && !IsNpgsqlConnectionString(PostgresConnectionString!))
        {
            // Never quote it: it may hold a password.
            yield return $"{Section}:PostgresConnectionString is not a valid Npgsql connection string (e.g. \"Host=127.0.0.1;Username=…;Password=…;Database=chatcluster\").";
        }
    }

    private static bool IsNpgsqlConnectionString(string value)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
