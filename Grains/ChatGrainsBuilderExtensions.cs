using ChatCluster.Grains.Persistence;
using ChatCluster.Grains.Persistence.Postgres;
using ChatCluster.Grains.Persistence.Sqlite;
using ChatCluster.Grains.Push;
using ChatCluster.Grains.Timelines;
using ChatCluster.Grains.Users;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ChatCluster.Runtime.Storage.Postgres;
using Npgsql;

namespace ChatCluster.Grains;

/// <summary>Adds the chat to a silo: the user and group grains, the message store and the persistence and push handlers.</summary>
public static class ChatGrainsBuilderExtensions
{
    /// <summary>
    /// Hosts the chat grains and the persistence handler. Settings from <c>ChatCluster:Chat</c> of
    /// <paramref name="configuration"/>, then <paramref name="configure"/>. Add a message store
    /// (<see cref="AddSqliteMessageStore"/> or <see cref="AddPostgresMessageStore"/>), streams, and — where
    /// devices connect — <see cref="AddPush{TDelivery}"/>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static GrainRuntimeBuilder AddChat(this GrainRuntimeBuilder builder, IConfiguration? configuration = null, Action<ChatOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = CheckedSettings.Read(configuration, ChatOptions.Section, configure, o => o.Validate());

        builder.Services.AddSingleton(options);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TimelineServices>();
        builder.Services.AddSingleton<PersistenceHandler>();
        return builder
            .AddGrains(typeof(UserGrain).Assembly)
            .AddStreamHandler<PersistenceHandler, TimelineEvent>(TimelineEvent.Namespace, PersistenceHandler.Group);
    }

    /// <summary>Pushes every message to the online devices through <typeparamref name="TDelivery"/>.</summary>
    public static GrainRuntimeBuilder AddPush<TDelivery>(this GrainRuntimeBuilder builder) where TDelivery : class, IMessageDelivery
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IMessageDelivery, TDelivery>();
        return builder.AddPush();
    }

    /// <summary>
    /// Runs the push handler on this silo's share of the log. It delivers through the <see cref="IMessageDelivery"/>
    /// registered elsewhere — by the gateway (<c>AddGateway</c>) where one is hosted.
    /// </summary>
    public static GrainRuntimeBuilder AddPush(this GrainRuntimeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<PushHandler>();
        return builder.AddStreamHandler<PushHandler, TimelineEvent>(TimelineEvent.Namespace, PushHandler.Group);
    }

    /// <summary>Keeps messages in the SQLite file at <paramref name="databasePath"/> (embedded mode).</summary>
    public static GrainRuntimeBuilder AddSqliteMessageStore(this GrainRuntimeBuilder builder, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        builder.Services.AddSingleton<IMessageStore>(_ => new SqliteMessageStore(databasePath));
        return builder.AddStartupTask((services, ct) => services.GetRequiredService<IMessageStore>().InitializeAsync(ct));
    }

    /// <summary>Keeps messages in PostgreSQL (cluster mode).</summary>
    public static GrainRuntimeBuilder AddPostgresMessageStore(this GrainRuntimeBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddPostgresDataSource(connectionString);
        builder.Services.AddSingleton<IMessageStore>(provider => new PostgresMessageStore(provider.GetRequiredKeyedService<NpgsqlDataSource>(connectionString)));
        return builder.AddStartupTask((services, ct) => services.GetRequiredService<IMessageStore>().InitializeAsync(ct));
    }
}
