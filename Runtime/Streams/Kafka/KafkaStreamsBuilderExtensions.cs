using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Kafka;

/// <summary>Adds the Kafka stream provider (<see cref="KafkaStreamProvider"/>) to a silo.</summary>
public static class KafkaStreamsBuilderExtensions
{
    /// <summary>
    /// Keeps streams in Kafka: settings from section <c>ChatCluster:Kafka</c> (<see cref="KafkaStreamOptions"/>), read and
    /// checked now, so a bad value fails here with a message naming it. The brokers are first asked when the runtime
    /// starts (<see cref="KafkaStreamProvider.InitializeAsync"/>).
    /// </summary>
    /// <remarks>Grain publishes are not fenced by membership on Kafka (see <see cref="KafkaStreamProvider"/>).</remarks>
    /// <param name="builder">The runtime builder.</param>
    /// <param name="configuration">Where the settings are read from (defaults only when null).</param>
    /// <param name="configure">Overrides of the settings, applied after configuration.</param>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static GrainRuntimeBuilder AddKafkaStreams(this GrainRuntimeBuilder builder, IConfiguration? configuration,
        Action<KafkaStreamOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = KafkaStreamOptions.Read(configuration, configure);
        return builder.AddStreams(services => new KafkaStreamProvider(options, services.GetService<ILoggerFactory>()));
    }
}
