using ChatCluster.Grains;
using ChatCluster.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Storage;

namespace ChatCluster.Storage;

/// <summary>Grain storage in PostgreSQL through Orleans' ADO.NET provider, with its SQL applied at start-up.</summary>
public static class PostgresGrainStorageExtensions
{
    /// <summary>The ADO.NET invariant for PostgreSQL (Npgsql).</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Adds grain storage <paramref name="name"/> in PostgreSQL: Orleans' ADO.NET provider (invariant
    /// <c>Npgsql</c>) with the SQL this project keeps (<c>Postgres/orleans-storage.sql</c>), applied
    /// idempotently under an advisory lock before the provider starts. A read or write that fails because
    /// PostgreSQL is down or unreachable throws <see cref="StorageUnavailableException"/>; a stale etag
    /// throws <see cref="InconsistentStateException"/>. The connection string is never logged.
    /// </summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddPostgresGrainStorageServices(name, connectionString);
        return builder;
    }

    /// <summary><see cref="AddPostgresGrainStorage"/> as the default grain storage (name <c>Default</c>).</summary>
    public static ISiloBuilder AddPostgresGrainStorageAsDefault(this ISiloBuilder builder, string connectionString) =>
        builder.AddPostgresGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, connectionString);

    private static void AddPostgresGrainStorageServices(this IServiceCollection services, string name, string connectionString)
    {
        if (services.Any(descriptor => IsGrainStorage(descriptor, name)))
        {
            throw new InvalidOperationException($"A grain storage named '{name}' is already registered.");
        }

        services.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });

        // The provider registered itself as keyed IGrainStorage 'name' (and, through that key, as a lifecycle
        // participant and possibly the default storage). Put the decorator under that key instead.
        services.Remove(services.Single(descriptor => IsGrainStorage(descriptor, name)));
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, _) =>
        {
            var options = provider.GetRequiredService<IOptionsMonitor<AdoNetGrainStorageOptions>>().Get(name);
            return new PostgresGrainStorage(
                name,
                connectionString,
                options.InitStage,
                AdoNetGrainStorageFactory.Create(provider, name),
                provider.GetRequiredService<ILogger<PostgresGrainStorage>>());
        });
    }

    private static bool IsGrainStorage(ServiceDescriptor descriptor, string name) =>
        descriptor.IsKeyedService && descriptor.ServiceType == typeof(IGrainStorage) && Equals(descriptor.ServiceKey, name);
}
