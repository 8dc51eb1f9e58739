using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime;

namespace ChatCluster.Streams;

/// <summary>Registers the Redis Streams message log as Orleans stream providers.</summary>
public static class RedisLogSiloBuilderExtensions
{
    /// <summary>
    /// Registers a write-only stream provider <paramref name="publishProviderName"/> that appends to a
    /// Redis Streams log, and one read-only provider per reader (a consumer group each) over the same
    /// streams, each with its own checkpoints, cache and pulling agents. All use implicit-only pub-sub
    /// and the same queues. Also registers the log's positions as <see cref="IStreamLog"/> (keyed by
    /// <paramref name="publishProviderName"/>, and unkeyed).
    /// </summary>
    /// <param name="builder">The silo.</param>
    /// <param name="publishProviderName">The provider grains publish through.</param>
    /// <param name="configure">Sets the <see cref="RedisLogOptions"/> (the Redis, the key prefix, the queue count...).</param>
    /// <param name="readers">The read-only providers.</param>
    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static ISiloBuilder AddRedisLog(this ISiloBuilder builder, string publishProviderName, Action<RedisLogOptions> configure, params LogReader[] readers) =>
        LogStreamProviders.AddLog<RedisLogOptions, RedisLog>(builder, publishProviderName, configure, readers, "Redis", options => options.Validate(), (sp, options, readerNames) =>
        {
            // Orleans' Redis clustering keeps its membership under this key (its default) when it shares the log's Redis.
            var cluster = sp.GetRequiredService<IOptions<Orleans.Configuration.ClusterOptions>>().Value;
            var silo = sp.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var fence = new WriterFence($"{cluster.ServiceId}/members/{cluster.ClusterId}", silo.ToString());
            return new RedisLog(options, readerNames, sp.GetRequiredService<ILoggerFactory>().CreateLogger<RedisLog>(), fence, silo.ToParsableString());
        });
}
