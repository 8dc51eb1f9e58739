using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace ChatCluster.Streams;

/// <summary>Fails the silo's start when the options of a Redis log are wrong, naming the settings.</summary>
internal sealed class RedisLogValidator(IServiceProvider services, string publishProviderName) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var options = services.GetRequiredService<IOptionsMonitor<RedisLogOptions>>().Get(publishProviderName);
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new OrleansConfigurationException($"The Redis log of stream provider {publishProviderName}: {string.Join(" ", errors)}");
        }
    }
}
