using ChatCluster.Runtime;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Kafka;
using ChatCluster.Silo.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Silo.Tests;

/// <summary>Which stream provider the silo's settings add, and with which settings (no server is asked).</summary>
public sealed class StreamsConfigurationTests
{
    [Theory]
    [InlineData("Redis", null, "chatcluster-prod-eu")]
    [InlineData("Redis", "mine", "mine")]
    [InlineData("Local", null, "chatcluster")]
    public async Task Kafka_streams_are_added_with_the_cluster_s_topic_prefix_unless_one_is_set(string cluster, string? prefix, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["ChatCluster:Streams:Provider"] = "Kafka",
            ["ChatCluster:Cluster:Provider"] = cluster,
            ["ChatCluster:Cluster:ClusterId"] = "prod.eu",
            ["ChatCluster:Kafka:BootstrapServers"] = "kafka-1:9092",
        };
        if (prefix is not null)
        {
            values["ChatCluster:Kafka:TopicPrefix"] = prefix;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGrainRuntime().AddConfiguredStreams(configuration, new StorageOptions());
        await using var container = services.BuildServiceProvider();

        var provider = Assert.IsType<KafkaStreamProvider>(container.GetRequiredService<IStreamProvider>());
        Assert.Equal(expected, provider.Options.TopicPrefix);
        Assert.Equal("kafka-1:9092", provider.Options.BootstrapServers);
    }
}
