using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Postgres;
using ChatCluster.Grains.Persistence.Sqlite;
using ChatCluster.Grains.Timelines;
using ChatCluster.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatCluster.Grains;

/// <summary>Adds the chat to an Orleans silo: the services of the user and group grains, and the message store.</summary>
public static class ChatSiloBuilderExtensions
{
    /// <summary>
    /// The readers of the timeline log: the persistence group and the push group, each an Orleans read-only stream
    /// provider with its own checkpoints. Pass them to the log's registration (e.g. <c>AddSqliteLog</c>) with
    /// <see cref="TimelineStreams.Provider"/> as the publishing provider.
    /// </summary>
    public static IReadOnlyList<LogReader> TimelineReaders { get; } =
    [
        // A persistence batch waits for the store as long as it takes: a database outage must not skip messages.
        new(TimelineStreams.PersistProvider, TimelineStreams.Namespace, TimelineStreams.PersistNamespace) { MaxDeliveryTime = TimeSpan.FromDays(365) },
        new(TimelineStreams.PushProvider, TimelineStreams.Namespace, TimelineStreams.PushNamespace),
    ];

    /// <summary>
    /// Hosts the chat grains' services with <paramref name="options"/> (validated: a bad value throws, naming it). Add
    /// grain storage named <see cref="ChatStorage.Name"/>, the timeline log with <see cref="TimelineReaders"/>, and a
    /// message store (<see cref="AddSqliteMessageStore"/> or <see cref="AddPostgresMessageStore"/>).
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static ISiloBuilder AddChat(this ISiloBuilder builder, ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(ChatOptions.Section, typeof(ChatOptions), problems);
        }

        builder.Services.AddSingleton(options);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PersistBarrier>();
        builder.Services.AddSingleton<TimelineServices>();
        return builder;
    }

    /// <summary>Keeps messages in the SQLite file at <paramref name="databasePath"/> (embedded mode); the schema is applied at start.</summary>
    public static ISiloBuilder AddSqliteMessageStore(this ISiloBuilder builder, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        builder.Services.AddSingleton<IMessageStore>(services => new SqliteMessageStore(databasePath, services.GetRequiredService<ILogger<SqliteMessageStore>>()));
        return builder.AddMessageStoreInitializer();
    }

    /// <summary>Keeps messages in PostgreSQL (cluster mode); the schema is applied at start under an advisory lock.</summary>
    public static ISiloBuilder AddPostgresMessageStore(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.TryAddKeyedSingleton(connectionString, (_, _) => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton<IMessageStore>(provider => new PostgresMessageStore(provider.GetRequiredKeyedService<NpgsqlDataSource>(connectionString)));
        return builder.AddMessageStoreInitializer();
    }

    private static ISiloBuilder AddMessageStoreInitializer(this ISiloBuilder builder)
    {
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, MessageStoreInitializer>();
        return builder;
    }
}
