using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Configuration;

/// <summary>
/// Tells the start-up failures an operator can fix (a bad setting, a taken port, and what the host adds, e.g. storage
/// that cannot be reached) from bugs, looking through the wrappers Orleans' lifecycle puts around them.
/// </summary>
public static class StartupFailure
{
    /// <summary>What to tell the operator, or null if <paramref name="exception"/> is not such a failure.</summary>
    /// <param name="exception">What start-up threw.</param>
    /// <param name="alsoFixable">Further failures the host counts as the operator's to fix (their message is shown).</param>
    public static string? Describe(Exception exception, Func<Exception, bool>? alsoFixable = null)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case OptionsValidationException:
                case InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder" }:
                case IOException { InnerException: AddressInUseException }:
                    return ex.Message;
                case DirectoryNotFoundException { Source: "Microsoft.Extensions.FileProviders.Physical" }:
                    // The host's content root (where appsettings.json is read from) names a folder that is not there.
                    return $"the content root {ex.Message.TrimEnd('/')} does not exist: check --contentRoot (or DOTNET_CONTENTROOT, ASPNETCORE_CONTENTROOT).";
                case StackExchange.Redis.RedisConnectionException redis:
                    // Its own message suggests abortConnect=false, which would only hide the problem.
                    return $"Redis could not be reached ({redis.FailureType}): check ChatCluster:Redis:Configuration and that Redis is running.";
                case var _ when alsoFixable?.Invoke(ex) == true:
                    return ex.Message;
            }
        }

        return null;
    }
}
