using System.Net.Http.Json;
using System.Text.Json;
using ChatCluster.Testing.Processes;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Silo.Tests;

/// <summary>The silo host as a new user and an operator meet it: defaults, health, bad settings, shutdown.</summary>
public sealed class SiloStartupTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 120_000)]
    public async Task Starts_with_defaults_answers_healthz_and_keeps_its_sqlite_files_under_data()
    {
        await using var silo = SiloProcess.Start();
        await silo.WaitHealthyAsync(StartTimeout);

        using var http = new HttpClient { BaseAddress = silo.BaseAddress };
        var health = await http.GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative));

        Assert.Equal("ok", health.GetProperty("status").GetString());
        foreach (var file in new[] { "grains.db", "log.db", "messages.db" })
        {
            Assert.True(File.Exists(Path.Combine(silo.WorkingDirectory, "data", file)), $"data/{file} missing:\n{silo.Output}");
        }
        Assert.Equal(0, await silo.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("ChatCluster silo stopped", silo.Output, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("CHATCLUSTER__RUNTIME__CALLTIMEOUT", "soon", "ChatCluster:Runtime:CallTimeout")]
    [InlineData("CHATCLUSTER__RUNTIME__COLLECTIONAGE", "-00:00:01", "ChatCluster:Runtime:CollectionAge")]
    [InlineData("CHATCLUSTER__STORAGE__PROVIDER", "Oracle", "ChatCluster:Storage:Provider")]
    [InlineData("CHATCLUSTER__STORAGE__PROVIDER", "Postgres", "ChatCluster:Storage:PostgresConnectionString")]
    [InlineData("CHATCLUSTER__CHAT__SEQUENCESTEP", "0", "ChatCluster:Chat:SequenceStep")]
    [InlineData("CHATCLUSTER__STREAMS__PROVIDER", "Nats", "ChatCluster:Streams:Provider")]
    [InlineData("CHATCLUSTER__STREAMS__PARTITIONS", "0", "ChatCluster:Streams:Partitions")]
    [InlineData("CHATCLUSTER__STREAMS__PROVIDER", "Kafka", "ChatCluster:Kafka:BootstrapServers is required")]
    [InlineData("CHATCLUSTER__KAFKA__SECURITYPROTOCOL", "Carrier pigeon", "ChatCluster:Kafka:SecurityProtocol")]
    [InlineData("CHATCLUSTER__STREAMS__PROVIDER", "Redis", "ChatCluster:Redis:Configuration is required when ChatCluster:Streams:Provider is Redis")]
    [InlineData("CHATCLUSTER__CLUSTER__PROVIDER", "Kubernetes", "ChatCluster:Cluster:Provider")]
    [InlineData("CHATCLUSTER__CLUSTER__ADVERTISEDADDRESS", "somewhere", "ChatCluster:Cluster:AdvertisedAddress")]
    [InlineData("CHATCLUSTER__CLUSTER__SILOPORT", "70000", "ChatCluster:Cluster:SiloPort")]
    [InlineData("CHATCLUSTER__CLUSTER__PROBETIMEOUT", "00:00:00", "ChatCluster:Cluster:ProbeTimeout")]
    [InlineData("CHATCLUSTER__GATEWAY__SIGNINGKEY", "too-short", "ChatCluster:Gateway:SigningKey")]
    [InlineData("CHATCLUSTER__GATEWAY__MAXFRAMEBYTES", "0", "ChatCluster:Gateway:MaxFrameBytes")]
    [InlineData("CHATCLUSTER__GATEWAY__TOKENLIFETIME", "soon", "ChatCluster:Gateway:TokenLifetime")]
    public async Task A_bad_setting_stops_startup_with_a_message_that_names_it(string variable, string value, string named)
    {
        await using var silo = SiloProcess.Start(new Dictionary<string, string> { [variable] = value });

        var exitCode = await silo.WaitForExitAsync(StartTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains($"ChatCluster cannot start: ", silo.Output, StringComparison.Ordinal);
        Assert.Contains(named, silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Cluster_mode_without_a_silo_port_redis_or_postgres_stops_startup_naming_each_setting()
    {
        await using var silo = SiloProcess.Start(new Dictionary<string, string> { ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis" });

        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains("ChatCluster cannot start: ", silo.Output, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Cluster:SiloPort must be set", silo.Output, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Storage:Provider is Sqlite; it must be Postgres when ChatCluster:Cluster:Provider is Redis", silo.Output, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Redis:Configuration is required when ChatCluster:Cluster:Provider is Redis", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Cluster_mode_with_a_sqlite_log_or_a_bad_redis_configuration_stops_startup_without_leaking_the_password()
    {
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__SILOPORT"] = "11111",
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = "Host=127.0.0.1;Port=1;Username=chat;Password=pg-secret;Database=chat",
            ["CHATCLUSTER__STREAMS__PROVIDER"] = "Sqlite",
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = "127.0.0.1:6379,password=hunter2-secret,nosuchoption=1",
        });

        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains("ChatCluster:Streams:Provider is Sqlite; it must be Redis or Kafka when ChatCluster:Cluster:Provider is Redis", silo.Output, StringComparison.Ordinal);
        Assert.Contains("ChatCluster:Redis:Configuration is not a valid StackExchange.Redis configuration string", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("ChatCluster:Cluster:SiloPort", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("pg-secret", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_missing_content_root_stops_startup_saying_so_without_a_stack_trace()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"chatcluster-missing-{Guid.NewGuid():N}");
        await using var silo = SiloProcess.Start(contentRoot: missing);

        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains($"ChatCluster cannot start: the content root {missing} does not exist: check --contentRoot", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_taken_port_stops_startup_with_a_message_and_no_stack_trace()
    {
        await using var first = SiloProcess.Start();
        await first.WaitHealthyAsync(StartTimeout);
        await using var second = SiloProcess.Start(new Dictionary<string, string> { ["Urls"] = $"http://127.0.0.1:{first.Port}" });

        Assert.Equal(2, await second.WaitForExitAsync(StartTimeout));
        Assert.Contains($"ChatCluster cannot start: Failed to bind to address http://127.0.0.1:{first.Port}", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", second.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Unreachable_postgres_stops_startup_without_leaking_the_password()
    {
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = "Host=127.0.0.1;Port=1;Username=chat;Password=hunter2-secret;Database=chat;Timeout=3",
        });

        var exitCode = await silo.WaitForExitAsync(StartTimeout);

        Assert.Equal(2, exitCode);
        Assert.Contains("ChatCluster cannot start: The message store (PostgreSQL messages at 127.0.0.1:1/chat) could not be prepared", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Unreachable_redis_in_cluster_mode_stops_startup_without_leaking_the_password()
    {
        var database = await (await Testing.Servers.SharedServers.Postgres).CreateUniqueDatabaseAsync("unreachableredis");
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__CLUSTER__PROVIDER"] = "Redis",
            ["CHATCLUSTER__CLUSTER__SILOPORT"] = Testing.Servers.FreePort.Get().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CHATCLUSTER__STORAGE__PROVIDER"] = "Postgres",
            ["CHATCLUSTER__STORAGE__POSTGRESCONNECTIONSTRING"] = database,
            ["CHATCLUSTER__REDIS__CONFIGURATION"] = $"127.0.0.1:{Testing.Servers.FreePort.Get()},password=hunter2-secret,connectTimeout=2000",
        });

        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains("ChatCluster cannot start: Redis could not be reached", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task An_embedded_silo_runs_its_log_on_kafka_and_delivers_a_direct_message_that_sync_returns()
    {
        const string Topic = "embedded-log";
        await using var broker = await KafkaTestBroker.StartAsync([(Topic, 8)]);
        await using var silo = SiloProcess.Start(KafkaEnvironment(broker, Topic));
        await silo.WaitHealthyAsync(StartTimeout);
        Assert.Contains($"the timeline log in Kafka at {broker.BootstrapServers} (topic {Topic}, 8 partitions", silo.Output, StringComparison.Ordinal);

        await using var alice = await LiveUser.ConnectAsync(silo, "alice");
        await using var bob = await LiveUser.ConnectAsync(silo, "bob");
        var ack = await alice.Client.SendTextAsync("user:bob", "over kafka");
        await bob.ReceiveAsync(message => message.MsgId == ack.MsgId, () => silo.Output);
        var page = await alice.Client.SyncAsync(ack.Timeline, 0);
        Assert.Contains(page.Messages, message => message.MsgId == ack.MsgId && message.Seq == ack.Seq);

        Assert.Equal(0, await silo.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_kafka_topic_with_another_partition_count_stops_startup_saying_what_to_set()
    {
        const string Topic = "four-partitions";
        await using var broker = await KafkaTestBroker.StartAsync([(Topic, 4)]);
        var environment = KafkaEnvironment(broker, Topic);
        environment["CHATCLUSTER__KAFKA__SASLPASSWORD"] = "kafka-secret-77";
        environment["CHATCLUSTER__KAFKA__SASLUSERNAME"] = "chat";
        environment["CHATCLUSTER__KAFKA__SASLMECHANISM"] = "Plain";
        environment["CHATCLUSTER__KAFKA__SECURITYPROTOCOL"] = "Plaintext";
        await using var refused = SiloProcess.Start(environment);

        // SASL settings without a SASL protocol are refused before anything connects, and the password is not quoted.
        Assert.Equal(2, await refused.WaitForExitAsync(StartTimeout));
        Assert.Contains("ChatCluster:Kafka:SaslMechanism, SaslUsername or SaslPassword is set, but SecurityProtocol is Plaintext", refused.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("kafka-secret-77", refused.Output, StringComparison.Ordinal);

        await using var silo = SiloProcess.Start(KafkaEnvironment(broker, Topic));
        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains($"ChatCluster cannot start: The Kafka topic {Topic} has 4 partitions, but the log is set to 8 queues (ChatCluster:Streams:Partitions)", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Unreachable_kafka_stops_startup_without_leaking_the_password()
    {
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["CHATCLUSTER__STREAMS__PROVIDER"] = "Kafka",
            ["CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS"] = $"127.0.0.1:{FreePort.Get()}",
            ["CHATCLUSTER__KAFKA__REQUESTTIMEOUT"] = "00:00:02",
            ["CHATCLUSTER__KAFKA__SECURITYPROTOCOL"] = "SaslPlaintext",
            ["CHATCLUSTER__KAFKA__SASLMECHANISM"] = "ScramSha512",
            ["CHATCLUSTER__KAFKA__SASLUSERNAME"] = "chat",
            ["CHATCLUSTER__KAFKA__SASLPASSWORD"] = "kafka-secret-88",
        });

        Assert.Equal(2, await silo.WaitForExitAsync(StartTimeout));
        Assert.Contains("ChatCluster cannot start: Kafka at 127.0.0.1:", silo.Output, StringComparison.Ordinal);
        Assert.Contains("check ChatCluster:Kafka:BootstrapServers", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("kafka-secret-88", silo.Output, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> KafkaEnvironment(KafkaTestBroker broker, string topic) => new()
    {
        ["CHATCLUSTER__STREAMS__PROVIDER"] = "Kafka",
        ["CHATCLUSTER__KAFKA__BOOTSTRAPSERVERS"] = broker.BootstrapServers,
        ["CHATCLUSTER__KAFKA__TOPIC"] = topic,
        ["CHATCLUSTER__KAFKA__REPLICATIONFACTOR"] = "1",
        ["CHATCLUSTER__KAFKA__MININSYNCREPLICAS"] = "1",
    };
}
