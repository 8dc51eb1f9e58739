using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace ChatCluster.Runtime.Storage.Postgres;

/// <summary>
/// One connection pool per connection string, shared by every PostgreSQL provider of the silo and
/// disposed with it (a pool per provider would multiply the server connections).
/// </summary>
public static class PostgresDataSourceRegistration
{
    /// <summary>Registers the data source for <paramref name="connectionString"/>, keyed by it, once.</summary>
    public static IServiceCollection AddPostgresDataSource(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.TryAddKeyedSingleton(connectionString, (_, _) => NpgsqlDataSource.Create(connectionString));
        return services;
    }
}
