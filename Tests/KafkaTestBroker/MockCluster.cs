using System.Runtime.InteropServices;
using System.Text;

namespace ChatCluster.TestBroker;

/// <summary>
/// A librdkafka mock cluster: <c>N</c> in-memory brokers that speak the Kafka protocol on random loopback ports.
/// It lives inside a librdkafka client handle (librdkafka runs the brokers on that handle's threads); disposing
/// stops the brokers, then the handle.
/// </summary>
internal sealed class MockCluster : IDisposable
{
    private const int ErrorBufferSize = 512;

    private IntPtr client;
    private IntPtr cluster;

    private MockCluster(IntPtr client, IntPtr cluster, string bootstrapServers)
    {
        this.client = client;
        this.cluster = cluster;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>Comma-separated <c>127.0.0.1:port</c> of every broker.</summary>
    public string BootstrapServers { get; }

    public static MockCluster Start(int brokerCount)
    {
        var client = NewHostClient();
        var cluster = MockClusterNative.MockClusterNew(client, brokerCount);
        if (cluster == IntPtr.Zero)
        {
            MockClusterNative.KafkaDestroy(client);
            throw new InvalidOperationException($"rd_kafka_mock_cluster_new failed for {brokerCount} brokers.");
        }

        // Without a controller in its metadata, an admin client waits for one until its request times out (CreateTopics
        // took the whole timeout); with broker 1 as the controller the cluster answers at once that it has no topic API.
        var error = MockClusterNative.MockSetControllerId(cluster, 1);
        if (error != 0)
        {
            MockClusterNative.MockClusterDestroy(cluster);
            MockClusterNative.KafkaDestroy(client);
            throw new InvalidOperationException($"rd_kafka_mock_set_controller_id failed: {Marshal.PtrToStringUTF8(MockClusterNative.ErrorToString(error))} (error {error}).");
        }

        var bootstraps = Marshal.PtrToStringUTF8(MockClusterNative.MockClusterBootstraps(cluster)) ?? string.Empty;
        return new MockCluster(client, cluster, bootstraps);
    }

    /// <summary>Creates <paramref name="topic"/> with a fixed partition count (the cluster would otherwise auto-create 4).</summary>
    public void CreateTopic(TopicSpec topic)
    {
        ObjectDisposedException.ThrowIf(cluster == IntPtr.Zero, this);
        var error = MockClusterNative.MockTopicCreate(cluster, topic.Name, topic.Partitions, topic.ReplicationFactor);
        if (error != 0)
        {
            var reason = Marshal.PtrToStringUTF8(MockClusterNative.ErrorToString(error));
            throw new InvalidOperationException($"Could not create topic '{topic.Name}': {reason} (error {error}).");
        }
    }

    public void Dispose()
    {
        // The brokers first: they run on the client handle's threads and need it until they have stopped.
        if (cluster != IntPtr.Zero)
        {
            MockClusterNative.MockClusterDestroy(cluster);
            cluster = IntPtr.Zero;
        }

        if (client != IntPtr.Zero)
        {
            MockClusterNative.KafkaDestroy(client);
            client = IntPtr.Zero;
        }
    }

    private static unsafe IntPtr NewHostClient()
    {
        var errors = stackalloc byte[ErrorBufferSize];
        var conf = MockClusterNative.ConfNew();

        // The host client never connects anywhere; without bootstrap servers librdkafka warns about that on stderr
        // ("No bootstrap.servers configured"). Errors only keeps the broker's stderr to what matters.
        if (MockClusterNative.ConfSet(conf, "log_level", "3", errors, ErrorBufferSize) != MockClusterNative.ConfigOk)
        {
            MockClusterNative.ConfDestroy(conf);
            throw new InvalidOperationException($"rd_kafka_conf_set(log_level) failed: {Text(errors)}");
        }

        var client = MockClusterNative.KafkaNew(MockClusterNative.ProducerType, conf, errors, ErrorBufferSize);
        if (client == IntPtr.Zero)
        {
            MockClusterNative.ConfDestroy(conf);
            throw new InvalidOperationException($"rd_kafka_new failed: {Text(errors)}");
        }

        return client;
    }

    private static unsafe string Text(byte* buffer) =>
        Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer));
}
