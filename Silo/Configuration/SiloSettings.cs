using ChatCluster.Gateway.Configuration;
using ChatCluster.Grains;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Configuration;

/// <summary>Every setting the silo reads, bound and checked at once, so that a bad value stops start-up with a message naming it.</summary>
public sealed record SiloSettings(RuntimeOptions Runtime, StorageOptions Storage, StreamsOptions Streams, ChatOptions Chat)
{
    private const string ClusterProviderKey = "ChatCluster:Cluster:Provider";

    /// <exception cref="OptionsValidationException">A value is missing or out of range.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names its key.</exception>
    public static SiloSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[ClusterProviderKey] is { } cluster && !cluster.Equals("Local", StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsValidationException(ClusterProviderKey, typeof(SiloSettings),
                [$"{ClusterProviderKey} is '{cluster}'; this build runs the embedded silo only (Local): cluster mode is being moved to Orleans (see the README's status)."]);
        }

        return new SiloSettings(
            CheckedSettings.Read<RuntimeOptions>(configuration, RuntimeOptions.Section, null, o => o.Validate()),
            CheckedSettings.Read<StorageOptions>(configuration, StorageOptions.Section, null, o => o.Validate()),
            CheckedSettings.Read<StreamsOptions>(configuration, StreamsOptions.Section, null, o => o.Validate()),
            CheckedSettings.Read<ChatOptions>(configuration, ChatOptions.Section, null, o => o.Validate()));
    }

    /// <summary>Where the silo keeps what, for the start-up line: names servers and files, never a password.</summary>
    public string Describe()
    {
        var directory = Path.GetFullPath(Storage.SqliteDirectory);
        var state = Storage.Provider switch
        {
            StorageProvider.Postgres => $"grain state and messages in PostgreSQL at {PostgresServer(Storage.PostgresConnectionString!)}",
            StorageProvider.Memory => $"grain state in memory (lost on exit), messages in SQLite at {Path.Combine(directory, "messages.db")}",
            _ => $"grain state and messages in SQLite at {Path.Combine(directory, "grains.db")} and {Path.Combine(directory, "messages.db")}",
        };
        return $"{state}; the timeline log in SQLite at {Path.Combine(directory, "log.db")} ({Streams.Partitions} partitions)";
    }

    private static string PostgresServer(string connectionString)
    {
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"{settings.Host}:{settings.Port}/{settings.Database}";
    }
}
