using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;

namespace ChatCluster.Streams;

/// <summary>Registers the Kafka message log as Orleans stream providers.</summary>
public static class KafkaLogSiloBuilderExtensions
{
    /// <summary>
    /// Registers a write-only stream provider <paramref name="publishProviderName"/> that appends to a Kafka topic with an
    /// idempotent producer (<c>acks=all</c>), each stream to the partition Orleans' queue mapper gives it, and one read-only
    /// provider per reader (a consumer group each, <c>{Topic}-{reader}</c>) over the same topic, each with its own committed
    /// offsets, cache and pulling agents; a partition is read by the silo that holds its Orleans queue, assigned by hand.
    /// All use implicit-only pub-sub and the same queues. Also registers the log's positions as <see cref="IStreamLog"/>
    /// (keyed by <paramref name="publishProviderName"/>, and unkeyed).
    /// </summary>
    /// <param name="builder">The silo.</param>
    /// <param name="publishProviderName">The provider grains publish through.</param>
    /// <param name="configure">Sets the <see cref="KafkaLogOptions"/> (the brokers, the topic, the queue count...).</param>
    /// <param name="readers">The read-only providers.</param>
    /// <exception cref="ArgumentException">A reader is invalid, or two providers have one name or two readers one delivered namespace.</exception>
    public static ISiloBuilder AddKafkaLog(this ISiloBuilder builder, string publishProviderName, Action<KafkaLogOptions> configure, params LogReader[] readers) =>
        LogStreamProviders.AddLog<KafkaLogOptions, KafkaLog>(builder, publishProviderName, configure, readers, "Kafka", options => options.Validate(),
            (sp, options, _) => new KafkaLog(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger<KafkaLog>()));
}
