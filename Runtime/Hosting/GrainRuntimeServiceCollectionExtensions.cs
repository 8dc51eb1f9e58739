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
        var options = new RuntimeOptions();
        configuration?.GetSection(RuntimeOptions.Section).Bind(options);
        configure?.Invoke(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(RuntimeOptions.Section, typeof(RuntimeOptions), problems);
        }

        return new GrainRuntimeBuilder(services, options);
    }
}
