using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A Kafka broker for tests: <c>ChatCluster.KafkaTestBroker.dll</c> (librdkafka's in-memory mock cluster, three
/// brokers on random loopback ports) run from the test's output folder, in its own temporary directory. Requested
/// topics are created with their partition count; any other topic is auto-created with 4 partitions on first use.
/// When <c>CHATCLUSTER_KAFKA</c> names a real broker (<c>host:port</c>), nothing is started: that broker is used and
/// the requested topics are created on it. Disposing stops the process (SIGTERM, SIGKILL if it lingers); it also exits
/// by itself once this process is gone (<c>--parent-pid</c>, and the directory's orphan watchdog).
/// </summary>
public sealed class KafkaTestBroker : IAsyncDisposable
{
    /// <summary>Environment variable naming an external broker's bootstrap servers.</summary>
    public const string ExternalVariable = "CHATCLUSTER_KAFKA";

    /// <summary>The broker program's file name in the test output folder.</summary>
    public const string AssemblyFileName = "ChatCluster.KafkaTestBroker.dll";

    private const string BootstrapLinePrefix = "bootstrap ";
    private const int BrokerCount = 3;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly ServerDirectory? directory;
    private readonly IDisposable? exitRegistration;
    private readonly SemaphoreSlim gate = new(1, 1);
    private ServerProcess? process;
    private bool disposed;

    private KafkaTestBroker(string bootstrapServers) => BootstrapServers = bootstrapServers;

    private KafkaTestBroker(ServerDirectory directory)
    {
        this.directory = directory;
        exitRegistration = ProcessExitCleanup.Register(
            urgent: () => process?.Signal(PosixSignal.Kill),
            slow: KillAndDelete);
    }

    /// <summary>Comma-separated <c>host:port</c> list for <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; private set; } = string.Empty;

    /// <summary>True when <c>CHATCLUSTER_KAFKA</c> named the broker; nothing was started and disposing does nothing.</summary>
    public bool IsExternal => directory is null;

    /// <summary>The broker process id, or null for an external broker.</summary>
    public int? ProcessId => process?.Id;

    /// <summary>The broker's stdout and stderr, or null for an external broker.</summary>
    public string? LogPath => directory?.Combine("broker.log");

    /// <summary>Where the broker program is expected: next to the test assemblies.</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, AssemblyFileName);

    /// <summary>
    /// Starts a broker with <paramref name="topics"/> created (replication factor 3), or returns the external one
    /// named by <c>CHATCLUSTER_KAFKA</c> after creating the topics there.
    /// </summary>
    public static async Task<KafkaTestBroker> StartAsync(
        IEnumerable<(string Topic, int Partitions)>? topics = null, CancellationToken ct = default)
    {
        var requested = (topics ?? []).ToList();
        var external = Environment.GetEnvironmentVariable(ExternalVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            await CreateExternalTopicsAsync(external, requested).ConfigureAwait(false);
            return new KafkaTestBroker(external);
        }

        if (!File.Exists(AssemblyPath))
        {
            throw new FileNotFoundException(
                $"{AssemblyFileName} is not in the test output folder; the test project must reference ChatCluster.Testing.",
                AssemblyPath);
        }

        var broker = new KafkaTestBroker(ServerDirectory.Create(ServerDirectory.KafkaPrefix));
        try
        {
            await broker.LaunchAsync(requested, ct).ConfigureAwait(false);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGTERM (the broker closes its ports and exits 0), SIGKILL if it has not exited within 10 s; deletes the directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (IsExternal)
        {
            return;
        }

        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (process is not null)
            {
                process.Signal(PosixSignal.Terminate);
                await process.WaitForExitAsync(StopTimeout, CancellationToken.None).ConfigureAwait(false);
            }

            KillAndDelete();
            exitRegistration?.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }

    public override string ToString() =>
        IsExternal ? $"KafkaTestBroker external {BootstrapServers}" : $"KafkaTestBroker {BootstrapServers} (log {LogPath})";

    private async Task LaunchAsync(IReadOnlyList<(string Topic, int Partitions)> topics, CancellationToken ct)
    {
        var command = new List<string>
        {
            DotnetHost(),
            AssemblyPath,
            "--brokers", BrokerCount.ToString(CultureInfo.InvariantCulture),
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (topic, partitions) in topics)
        {
            command.Add("--topic");
            command.Add(string.Create(CultureInfo.InvariantCulture, $"{topic}:{partitions}"));
        }

        var logPath = LogPath!;
        process = ServerProcess.Start([], command, logPath, directory!.FullPath);

        // The broker prints its bootstrap line only after every topic exists, so seeing it means ready.
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (ReadBootstrapLine(logPath) is { } bootstrap)
            {
                BootstrapServers = bootstrap;
                return;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"The Kafka test broker exited during start-up. Log {logPath}:\n{ServerProcess.ReadTail(logPath)}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }

        throw new TimeoutException(
            $"The Kafka test broker printed no bootstrap line within {ReadyTimeout.TotalSeconds:0} s. " +
            $"Log {logPath}:\n{ServerProcess.ReadTail(logPath)}");
    }

    private static string? ReadBootstrapLine(string logPath)
    {
        if (!File.Exists(logPath))
        {
            return null;
        }

        // Complete lines only (the last piece has no newline yet): the log may be read mid-line.
        var lines = ServerProcess.ReadTail(logPath, int.MaxValue).Split('\n');
        return lines[..^1]
            .Where(line => line.StartsWith(BootstrapLinePrefix, StringComparison.Ordinal))
            .Select(line => line[BootstrapLinePrefix.Length..].Trim())
            .FirstOrDefault();
    }

    /// <summary>The dotnet host running this process (set by the dotnet CLI), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : ProcessRunner.FindOnPath("dotnet") ?? "dotnet";

    /// <summary>A real broker supports CreateTopics (the mock cluster does not); topics that already exist are fine.</summary>
    private static async Task CreateExternalTopicsAsync(string bootstrapServers, List<(string Topic, int Partitions)> topics)
    {
        if (topics.Count == 0)
        {
            return;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        try
        {
            await admin.CreateTopicsAsync(
                    topics.Select(t => new TopicSpecification { Name = t.Topic, NumPartitions = t.Partitions, ReplicationFactor = -1 }))
                .ConfigureAwait(false);
        }
        catch (CreateTopicsException exception)
            when (exception.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
        }
    }

    /// <summary>Synchronous, last-resort clean-up (also the process-exit hook).</summary>
    private void KillAndDelete()
    {
        process?.Dispose();
        process = null;
        directory?.KillProcessesInside(TimeSpan.FromSeconds(2));
        directory?.Delete();
    }
}
