using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>Adds the Redis Streams provider (<see cref="RedisStreamProvider"/>) to a silo.</summary>
public static class RedisStreamsBuilderExtensions
{
    /// <summary>
    /// Keeps streams in Redis Streams: settings from section <c>ChatCluster:Streams</c>
    /// (<see cref="RedisStreamOptions"/>), the server from <c>ChatCluster:Redis</c> (<see cref="RedisOptions"/>).
    /// Both are read and checked now, so a bad value fails here with a message naming it.
    /// </summary>
    /// <param name="builder">The runtime builder.</param>
    /// <param name="configuration">Where the settings are read from (defaults only when null).</param>
    /// <param name="configure">Overrides of the stream settings, applied after configuration.</param>
    /// <param name="configureRedis">Overrides of the Redis settings, applied after configuration.</param>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static GrainRuntimeBuilder AddRedisStreams(this GrainRuntimeBuilder builder, IConfiguration? configuration,
        Action<RedisStreamOptions>? configure = null, Action<RedisOptions>? configureRedis = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = RedisStreamOptions.Read(configuration, configure);
        var redis = RedisOptions.Read(configuration, configureRedis);
        return builder.AddStreams(services => new RedisStreamProvider(redis, options, services.GetService<ILoggerFactory>()));
    }
}
