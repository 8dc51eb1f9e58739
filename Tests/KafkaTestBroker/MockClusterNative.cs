using System.Reflection;
using System.Runtime.InteropServices;

namespace ChatCluster.TestBroker;

/// <summary>
/// The few librdkafka C functions that create and run a mock cluster. Confluent.Kafka does not expose the mock
/// cluster API, so we call the same native library it ships (librdkafka.redist) directly.
/// </summary>
internal static partial class MockClusterNative
{
    private const string Library = "librdkafka";

    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER: the handle only hosts the mock cluster, it never produces.</summary>
    public const int ProducerType = 0;

    /// <summary>rd_kafka_conf_res_t RD_KAFKA_CONF_OK.</summary>
    public const int ConfigOk = 0;

    // librdkafka.so from the redist links libsasl2.so.3, which many distributions lack (this machine does); the
    // centos8 and alpine builds are the fall-backs Confluent.Kafka itself tries, in the same order.
    private static readonly string[] Candidates = ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];

    /// <summary>
    /// Routes this assembly's <c>librdkafka</c> imports to the first native build under <c>runtimes/linux-*/native</c>
    /// that loads. Call after <c>Confluent.Kafka.Library.Load()</c>, so both share one loaded copy of the library.
    /// </summary>
    public static void UseRedistributedLibrary() =>
        NativeLibrary.SetDllImportResolver(typeof(MockClusterNative).Assembly, Resolve);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    public static partial IntPtr ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int ConfSet(IntPtr conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_destroy")]
    public static partial void ConfDestroy(IntPtr conf);

    /// <summary>Takes ownership of <paramref name="conf"/> on success only.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    public static unsafe partial IntPtr KafkaNew(int type, IntPtr conf, byte* errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    public static partial void KafkaDestroy(IntPtr rk);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    public static partial IntPtr MockClusterNew(IntPtr rk, int brokerCount);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    public static partial void MockClusterDestroy(IntPtr mcluster);

    /// <summary>A string owned by the cluster: copy it, never free it.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    public static partial IntPtr MockClusterBootstraps(IntPtr mcluster);

    /// <summary>Returns an rd_kafka_resp_err_t, 0 on success.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MockTopicCreate(IntPtr mcluster, string topic, int partitionCount, int replicationFactor);

    /// <summary>Returns an rd_kafka_resp_err_t, 0 on success.</summary>
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_set_controller_id")]
    public static partial int MockSetControllerId(IntPtr mcluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_err2str")]
    public static partial IntPtr ErrorToString(int error);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var directory = Path.Combine(AppContext.BaseDirectory, "runtimes", $"linux-{architecture}", "native");
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(Path.Combine(directory, candidate), out var handle))
            {
                return handle;
            }
        }

        // Zero lets the runtime try its default probing (e.g. a system-wide librdkafka).
        return IntPtr.Zero;
    }
}
