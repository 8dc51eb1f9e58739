using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace ChatCluster.Silo.Configuration;

/// <summary>
/// Tells the start-up failures an operator can fix (a bad setting, storage that cannot be reached, a taken port) from
/// bugs, looking through the wrappers Orleans' lifecycle puts around them.
/// </summary>
public static class StartupFailure
{
    /// <summary>What to tell the operator, or null if <paramref name="exception"/> is not such a failure.</summary>
    public static string? Describe(Exception exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case OptionsValidationException:
                case InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" }:
                case Grains.StorageUnavailableException:
                case Npgsql.NpgsqlException:
                case IOException { InnerException: AddressInUseException }:
                    return ex.Message;
                case StackExchange.Redis.RedisConnectionException redis:
                    // Its own message suggests abortConnect=false, which would only hide the problem.
                    return $"Redis could not be reached ({redis.FailureType}): check ChatCluster:Redis:Configuration and that Redis is running.";
            }
        }

        return null;
    }
}
