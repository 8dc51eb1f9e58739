using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Hosting;

/// <summary>Adds the grain runtime to a host.</summary>
public static class GrainRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the grain runtime. Settings come from the <c>ChatCluster:Runtime</c> section of
    /// <paramref name="configuration"/> when given, then <paramref name="configure"/>.
    /// </summary>
    /// <exception cref="OptionsValidationException">A setting is out of range; the message names it.</exception>
    public static GrainRuntimeBuilder AddGrainRuntime(this IServiceCollection services, IConfiguration? configuration = null,
        Action<RuntimeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = CheckedSettings.Read(configuration, RuntimeOptions.Section, configure, o => o.Validate());
        return new GrainRuntimeBuilder(services, options);
    }
}
