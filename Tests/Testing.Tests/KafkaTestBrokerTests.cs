using System.Diagnostics;
using System.Globalization;
using System.Text;
using ChatCluster.Testing.Servers;
using Confluent.Kafka;

namespace ChatCluster.Testing.Tests;

public sealed class KafkaTestBrokerTests
{
    private const int Timeout = 120_000;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(15);

    [Fact(Timeout = Timeout)]
    public async Task PreCreatedTopicServesIdempotentProduceAssignedConsumeAndGroupOffsets()
    {
        const string topic = "broker-test-8";
        var broker = await KafkaTestBroker.StartAsync([(topic, 8)]);
        try
        {
            Assert.False(broker.IsExternal);
            var endpoints = broker.BootstrapServers.Split(',');
            Assert.Equal(3, endpoints.Length);
            Assert.All(endpoints, endpoint => Assert.StartsWith("127.0.0.1:", endpoint, StringComparison.Ordinal));

            using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
            {
                var metadata = admin.GetMetadata(topic, ClientTimeout);
                var described = Assert.Single(metadata.Topics);
                Assert.Equal(ErrorCode.NoError, described.Error.Code);
                Assert.Equal(8, described.Partitions.Count);
                Assert.Equal(3, metadata.Brokers.Count);
            }

            var producerConfig = new ProducerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
            };
            using (var producer = new ProducerBuilder<string, string>(producerConfig).Build())
            {
                var delivered = await producer.ProduceAsync(
                    new TopicPartition(topic, 5), new Message<string, string> { Key = "alice", Value = "hello" });
                Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
                Assert.Equal(5, delivered.Partition.Value);
                Assert.Equal(0, delivered.Offset.Value);
            }

            var group = $"group-{Guid.NewGuid():N}";
            var consumerConfig = new ConsumerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                GroupId = group,
                EnableAutoCommit = false,
            };
            using (var consumer = new ConsumerBuilder<string, string>(consumerConfig).Build())
            {
                consumer.Assign(new TopicPartitionOffset(topic, 5, Offset.Beginning));
                var record = consumer.Consume(ClientTimeout);
                Assert.NotNull(record);
                Assert.Equal(("alice", "hello", 0L), (record.Message.Key, record.Message.Value, record.Offset.Value));

                var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 5), ClientTimeout);
                Assert.Equal(1, watermarks.High.Value);

                consumer.Commit([new TopicPartitionOffset(topic, 5, record.Offset + 1)]);
                consumer.Close();
            }

            // A fresh member of the group sees what the first one committed.
            using (var reader = new ConsumerBuilder<string, string>(consumerConfig).Build())
            {
                var committed = reader.Committed([new TopicPartition(topic, 5), new TopicPartition(topic, 4)], ClientTimeout);
                Assert.Equal(1, committed.Single(c => c.Partition.Value == 5).Offset.Value);
                Assert.Equal(Offset.Unset, committed.Single(c => c.Partition.Value == 4).Offset);
            }
        }
        finally
        {
            var processId = broker.ProcessId;
            await broker.DisposeAsync();
            Assert.NotNull(processId);
            Assert.False(Directory.Exists($"/proc/{processId}"), $"broker process {processId} still runs after DisposeAsync");
        }

        foreach (var endpoint in broker.BootstrapServers.Split(','))
        {
            var port = int.Parse(endpoint.Split(':')[1], CultureInfo.InvariantCulture);
            Assert.False(FreePort.IsAcceptingConnections(port), $"{endpoint} still accepts connections");
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task RunsUntilSigtermDespiteClosedStdinThenExitsZero()
    {
        using var process = StartProgram(["--brokers", "1", "--topic", "x:8"]);
        try
        {
            var first = await process.StandardOutput.ReadLineAsync();
            var second = await process.StandardOutput.ReadLineAsync();
            Assert.Matches(@"^bootstrap 127\.0\.0\.1:\d+$", first);
            Assert.Equal("topic x partitions 8 replication 1", second);

            // Scripts start it with </dev/null: end of input must not stop it.
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.False(process.HasExited);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Theory(Timeout = Timeout)]
    [InlineData("--topic nonsense", "--topic must be NAME:PARTITIONS[:REPLICATION], not 'nonsense'")]
    [InlineData("--topic t:0", "partition count of topic 't'")]
    [InlineData("--brokers 2 --topic t:4:3", "replication factor of topic 't'")]
    [InlineData("--brokers many", "--brokers must be")]
    [InlineData("--listen 0.0.0.0", "unknown argument '--listen'")]
    public async Task BadArgumentsExitTwoWithAMessage(string arguments, string message)
    {
        using var process = StartProgram(arguments.Split(' '));
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(exit.Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains(message, await stderr, StringComparison.Ordinal);
        Assert.Contains("usage:", await stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await stdout);
    }

    [Fact(Timeout = Timeout)]
    public async Task SharedBrokerIsOneInstanceThatAutoCreatesTopicsWithFourPartitions()
    {
        var shared = await SharedServers.Kafka;
        Assert.Same(shared, await SharedServers.Kafka);

        var topic = $"auto-{Guid.NewGuid():N}";
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = shared.BootstrapServers }).Build())
        {
            var delivered = await producer.ProduceAsync(topic, new Message<Null, string> { Value = "first" });
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = shared.BootstrapServers }).Build();
        Assert.Equal(4, Assert.Single(admin.GetMetadata(topic, ClientTimeout).Topics).Partitions.Count);
    }

    [Fact]
    public void BrokerProgramIsInTheTestOutput()
    {
        foreach (var file in new[]
                 {
                     KafkaTestBroker.AssemblyFileName,
                     "ChatCluster.KafkaTestBroker.runtimeconfig.json",
                     "ChatCluster.KafkaTestBroker.deps.json",
                     "Confluent.Kafka.dll",
                 })
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, file)), $"{file} is missing from {AppContext.BaseDirectory}");
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "runtimes"), "*librdkafka*", SearchOption.AllDirectories));
    }

    private static Process StartProgram(IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        startInfo.ArgumentList.Add(KafkaTestBroker.AssemblyPath);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start the Kafka test broker");
        process.StandardInput.Close();
        return process;
    }
}
