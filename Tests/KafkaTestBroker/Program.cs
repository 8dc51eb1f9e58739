using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ChatCluster.TestBroker;

/// <summary>
/// A Kafka broker for tests and local runs where no real Kafka can be installed: librdkafka's mock cluster in a
/// process of its own. It prints <c>bootstrap HOST:PORT,…</c> and one <c>topic …</c> line per pre-created topic on
/// stdout, then serves until SIGTERM or SIGINT (or until the <c>--parent-pid</c> process is gone). Everything is in
/// memory: a fixture, never a production broker.
/// </summary>
internal static class Program
{
    private const string Name = "ChatCluster.KafkaTestBroker";
    private static readonly TimeSpan ParentPollInterval = TimeSpan.FromMilliseconds(500);

    private static int Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(BrokerOptions.Usage);
            return 0;
        }

        var options = BrokerOptions.TryParse(args, out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"{Name}: {error}");
            Console.Error.WriteLine(BrokerOptions.Usage);
            return 2;
        }

        Console.Error.WriteLine(
            $"{Name}: librdkafka's mock cluster keeps every message and offset in memory only and loses them at exit; for tests, not for production.");

        using var stop = new ManualResetEventSlim();
        // Cancel = true: the runtime must not terminate on its own, so the brokers are destroyed (ports closed) first.
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Set(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Set(); });

        MockCluster cluster;
        try
        {
            // Confluent.Kafka finds the right native build for this machine; our resolver then loads the same file.
            Confluent.Kafka.Library.Load();
            MockClusterNative.UseRedistributedLibrary();
            cluster = MockCluster.Start(options.Brokers);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"{Name}: could not start librdkafka's mock cluster: {exception.Message}");
            return 1;
        }

        using (cluster)
        {
            try
            {
                foreach (var topic in options.Topics)
                {
                    cluster.CreateTopic(topic);
                }
            }
            catch (InvalidOperationException exception)
            {
                Console.Error.WriteLine($"{Name}: {exception.Message}");
                return 1;
            }

            // Whoever started us reads these lines to learn where to connect, so they go out at once and in this order.
            Console.Out.WriteLine($"bootstrap {cluster.BootstrapServers}");
            foreach (var topic in options.Topics)
            {
                Console.Out.WriteLine($"topic {topic.Name} partitions {topic.Partitions} replication {topic.ReplicationFactor}");
            }

            Console.Out.Flush();

            if (options.ParentProcessId is { } parent)
            {
                WatchParent(parent, stop);
            }

            // Not stdin: scripts start the broker with nohup and </dev/null, which is end-of-file at once.
            stop.Wait();
        }

        return 0;
    }

    /// <summary>Sets <paramref name="stop"/> once process <paramref name="parentId"/> is gone, so a test's broker never outlives the test.</summary>
    private static void WatchParent(int parentId, ManualResetEventSlim stop)
    {
        var watcher = new Thread(() =>
        {
            while (!stop.IsSet)
            {
                if (!IsRunning(parentId))
                {
                    Console.Error.WriteLine($"{Name}: parent process {parentId} is gone; stopping.");
                    stop.Set();
                    return;
                }

                Thread.Sleep(ParentPollInterval);
            }
        })
        {
            IsBackground = true,
            Name = "parent watch",
        };
        watcher.Start();
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
