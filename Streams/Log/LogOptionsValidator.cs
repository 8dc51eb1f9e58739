using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace ChatCluster.Streams;

/// <summary>Fails the silo's start when the options of a log are wrong, naming the settings.</summary>
/// <param name="services">The silo's services, to read the named options from.</param>
/// <param name="publishProviderName">The log's write-only provider, whose name the options carry.</param>
/// <param name="logKind">What the log is, for the message (e.g. "SQLite", "Redis").</param>
/// <param name="validate">The options' own checks, one message per bad setting.</param>
internal sealed class LogOptionsValidator<TOptions>(
    IServiceProvider services, string publishProviderName, string logKind, Func<TOptions, IEnumerable<string>> validate) : IConfigurationValidator
    where TOptions : class
{
    public void ValidateConfiguration()
    {
        var options = services.GetRequiredService<IOptionsMonitor<TOptions>>().Get(publishProviderName);
        var errors = validate(options).ToList();
        if (errors.Count > 0)
        {
            throw new OrleansConfigurationException($"The {logKind} log of stream provider {publishProviderName}: {string.Join(" ", errors)}");
        }
    }
}
