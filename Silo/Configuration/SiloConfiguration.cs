using ChatCluster.Grains;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Configuration;

/// <summary>Reads and checks the silo's settings, so that a bad value stops start-up with a message that names it.</summary>
public static class SiloConfiguration
{
    /// <summary>The storage settings, bound and validated.</summary>
    /// <exception cref="OptionsValidationException">A value is missing or out of range.</exception>
    /// <exception cref="InvalidOperationException">A value cannot be converted; the message names its key.</exception>
    public static StorageOptions ReadStorage(IConfiguration configuration) =>
        CheckedSettings.Read<StorageOptions>(configuration, StorageOptions.Section, null, o => o.Validate());

    /// <summary>
    /// Adds the storage the settings ask for: grain state and messages in SQLite, PostgreSQL or memory.
    /// The message log is a SQLite file in every mode until the Redis Streams provider arrives.
    /// </summary>
    public static GrainRuntimeBuilder AddConfiguredStorage(this GrainRuntimeBuilder builder, StorageOptions storage)
    {
        var directory = storage.SqliteDirectory;
        builder.AddSqliteStreams(Path.Combine(directory, "log.db"));
        return storage.Provider switch
        {
            StorageProvider.Postgres => builder
                .AddPostgresGrainStorage(storage.PostgresConnectionString!)
                .AddPostgresMessageStore(storage.PostgresConnectionString!),
            StorageProvider.Memory => builder
                .AddMemoryGrainStorage()
                .AddSqliteMessageStore(Path.Combine(directory, "messages.db")),
            _ => builder
                .AddSqliteGrainStorage(Path.Combine(directory, "grains.db"))
                .AddSqliteMessageStore(Path.Combine(directory, "messages.db")),
        };
    }
}
