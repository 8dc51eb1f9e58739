using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>
/// What every message-log adapter must do as Orleans stream providers: a write-only provider
/// ("log") and two read-only ones ("persist", "push") over one log, run in an in-process cluster of
/// two silos. Each adapter's test class subclasses this and says how to register its log, how to
/// write a record no reader can decode, and how to count its dead letters.
/// </summary>
public abstract class StreamAdapterConformanceTests : IAsyncLifetime
{
    protected const string Publish = "log";

    protected static readonly LogReader PersistReader = new("persist", TestNamespaces.Source, TestNamespaces.Persist);
    protected static readonly LogReader PushReader = new("push", TestNamespaces.Source, TestNamespaces.Push);

    private readonly List<InProcessTestCluster> clusters = [];

    protected TestRun Run { get; } = TestRun.Start();

    /// <summary>Where the measurements go (the subclass passes xunit's output).</summary>
    protected ITestOutputHelper? Output { get; init; }

    /// <summary>
    /// True in the test where both silos read every queue at once: a log that makes a new owner of a queue wait for the
    /// earlier one to let go should wait only briefly there, as the earlier one never does. Everywhere else a queue
    /// moves between silos as in production, and its order is checked across the move.
    /// </summary>
    protected bool SilosShareQueues { get; private set; }

    /// <summary>Registers the adapter's log on a silo: the write-only provider <paramref name="publish"/> and the readers.</summary>
    protected abstract void ConfigureLog(ISiloBuilder silo, string publish, LogReader[] readers);

    /// <summary>Appends, the adapter's own way, a record of <paramref name="streamId"/> that no reader can decode.</summary>
    protected abstract Task CorruptNextRecordAsync(IServiceProvider silo, StreamId streamId);

    /// <summary>The records the adapter holds as dead letters of <paramref name="readerProvider"/>.</summary>
    protected abstract Task<long> CountDeadLettersAsync(IServiceProvider silo, string readerProvider);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        Run.ReleasePersist();
        foreach (var cluster in clusters)
        {
            await cluster.DisposeAsync();
        }

        TestRun.End(Run);
    }

    [Fact]
    public async Task Every_event_reaches_both_readers_in_order_per_stream()
    {
        var cluster = await StartClusterAsync();
        const int streams = 64, perStream = 40;

        await PublishAsync(cluster, producers: 8, streams, from: 0, count: perStream);

        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);
        foreach (var reader in new[] { Run.Persist, Run.Push })
        {
            Assert.Empty(reader.Gaps);
            Assert.All(StreamKeys(streams), stream => Assert.Equal(perStream, reader.CountOf(stream)));
        }
    }

    [Fact]
    public async Task Events_survive_a_killed_cluster_and_are_delivered_at_least_once()
    {
        const int streams = 24, perStream = 20;
        var first = await StartClusterAsync();
        Run.StallPersist();
        await PublishAsync(first, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Push);
        Assert.Equal(0, Run.Persist.Unique);

        foreach (var silo in first.Silos.ToList())
        {
            await first.KillSiloAsync(silo);
        }

        Run.ReleasePersist();
        await DisposeClusterAsync(first);

        var second = await StartClusterAsync();
        await PublishSecondRoundInOrderAsync(second, streams, perStream);
    }

    [Fact]
    public async Task A_stalled_consumer_holds_its_checkpoint()
    {
        const int streams = 16, perStream = 30;
        var cluster = await StartClusterAsync();
        var log = StreamLogOf(cluster);
        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);

        Run.StallPersist();
        await PublishAsync(cluster, producers: 4, streams, from: perStream, count: perStream);
        await WaitForAllAsync(streams * 2 * perStream, Run.Push);

        // The push reader's checkpoints reach the end of every queue while the persist consumers are stalled...
        await Eventually.WaitAsync(
            async () => await CheckpointsAtEndAsync(log, "push"),
            () => "the push checkpoints reach the end of the log");

        // ...and the persist reader's never pass what its consumers processed.
        for (var sample = 0; sample < 20; sample++)
        {
            await AssertCheckpointsWithinProcessedAsync(log, Run.Persist);
            await Task.Delay(100);
        }

        Assert.True(Run.Persist.Unique < streams * 2 * perStream, "The stalled persist consumers processed everything.");
        Run.ReleasePersist();
        await WaitForAllAsync(streams * 2 * perStream, Run.Persist);
        await Eventually.WaitAsync(
            async () => await CheckpointsAtEndAsync(log, "persist"),
            () => "the persist checkpoints reach the end of the log once released");
    }

    [Fact]
    public async Task A_failing_consumer_holds_its_checkpoint_and_gets_the_events_again()
    {
        const int streams = 16, perStream = 20;
        var cluster = await StartClusterAsync();
        var log = StreamLogOf(cluster);
        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);

        Run.FailPersist(6);
        await PublishAsync(cluster, producers: 4, streams, from: perStream, count: perStream);
        while (Run.PendingPersistFailures > 0 && Run.Persist.Unique < streams * 2 * perStream)
        {
            await AssertCheckpointsWithinProcessedAsync(log, Run.Persist);
            await Task.Delay(50);
        }

        await WaitForAllAsync(streams * 2 * perStream, Run.Persist, Run.Push);
        await AssertCheckpointsWithinProcessedAsync(log, Run.Persist);
        Assert.Empty(Run.Persist.Gaps);
    }

    [Fact]
    public async Task A_stalled_reader_does_not_hold_up_the_other()
    {
        const int streams = 32, perStream = 25;
        var cluster = await StartClusterAsync();
        Run.StallPersist();

        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);

        // Push gets everything while every persist consumer waits on its first batch.
        await WaitForAllAsync(streams * perStream, Run.Push);
        Assert.Equal(0, Run.Persist.Unique);

        Run.ReleasePersist();
        await WaitForAllAsync(streams * perStream, Run.Persist);
        Assert.Empty(Run.Persist.Gaps);
        Assert.Empty(Run.Push.Gaps);
    }

    [Fact]
    public async Task An_undecodable_record_is_dead_lettered_counted_and_skipped()
    {
        using var deadLetters = new StreamCounterListener(StreamMetrics.DeadLettersName);
        const int streams = 8, perStream = 10;
        var cluster = await StartClusterAsync();
        var silo = cluster.GetSiloServiceProvider();
        await PublishAsync(cluster, producers: 2, streams, from: 0, count: perStream);

        await CorruptNextRecordAsync(silo, StreamId.Create(TestNamespaces.Source, "s3"));
        await PublishAsync(cluster, producers: 2, streams, from: perStream, count: perStream);

        await WaitForAllAsync(streams * 2 * perStream, Run.Persist, Run.Push);
        foreach (var reader in new[] { "persist", "push" })
        {
            await Eventually.WaitAsync(async () => await CountDeadLettersAsync(silo, reader) == 1, () => $"one dead letter of {reader}");
            Assert.True(deadLetters.CountOf(reader) >= 1, $"The dead letter of {reader} was not counted.");
        }

        Assert.Empty(Run.Persist.Gaps);
        Assert.Empty(Run.Push.Gaps);
    }

    [Fact]
    public async Task The_stream_log_reports_ends_queues_and_checkpoints()
    {
        const int streams = 40;
        var cluster = await StartClusterAsync();
        var log = StreamLogOf(cluster);
        var keys = StreamKeys(streams);
        var expectedEnds = new long[log.Queues];
        var publishes = new List<Task>();
        for (var i = 0; i < streams; i++)
        {
            var count = (i % 5) + 1;
            expectedEnds[log.QueueOf(StreamId.Create(TestNamespaces.Source, keys[i]))] += count;
            publishes.Add(cluster.Client.GetGrain<ITestProducerGrain>($"{Run.Id}-{i}")
                .PublishAsync(Run.Id, Publish, TestNamespaces.Source, [keys[i]], 0, count));
        }

        await Task.WhenAll(publishes);
        for (var queue = 0; queue < log.Queues; queue++)
        {
            Assert.Equal(expectedEnds[queue], await log.GetEndAsync(queue, CancellationToken.None));
        }

        var total = (int)expectedEnds.Sum();
        await WaitForAllAsync(total, Run.Persist, Run.Push);
        foreach (var reader in new[] { Run.Persist, Run.Push })
        {
            Assert.All(keys, key => Assert.Equal([log.QueueOf(StreamId.Create(TestNamespaces.Source, key))], reader.QueuesOf(key)));
        }

        foreach (var reader in new[] { "persist", "push" })
        {
            await Eventually.WaitAsync(async () => await CheckpointsAtEndAsync(log, reader), () => $"the {reader} checkpoints reach the end of the log");
        }
    }

    [Fact]
    public async Task The_queues_are_split_evenly_and_a_stopped_silos_share_is_taken_over()
    {
        const int streams = 24, perStream = 10;
        var cluster = await StartClusterAsync(silos: 3);
        var queues = StreamLogOf(cluster).Queues;
        await Eventually.WaitAsync(() => SplitEvenly(cluster, queues), () => $"an even split over 3 silos: {DescribeSplit(cluster)}");
        await AssertEachSiloReportsTheLagOfWhatItHoldsAsync(cluster);

        await PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        await WaitForAllAsync(streams * perStream, Run.Persist, Run.Push);

        await cluster.StopSiloAsync(cluster.Silos[^1]);
        await Eventually.WaitAsync(() => SplitEvenly(cluster, queues), () => $"an even split over the 2 silos left: {DescribeSplit(cluster)}");
        await AssertEachSiloReportsTheLagOfWhatItHoldsAsync(cluster);
        await PublishSecondRoundInOrderAsync(cluster, streams, perStream);
    }

    /// <summary>
    /// Both silos read every queue for both readers at once (as two owners of a queue do for a while when it moves): every
    /// event reaches each reader at least once, and no checkpoint ever passes a record its consumers have not processed.
    /// </summary>
    [Fact]
    public async Task Two_silos_reading_the_same_queues_at_once_deliver_every_event_and_checkpoint_only_what_was_processed()
    {
        const int streams = 32, perStream = 20, total = streams * perStream;
        SilosShareQueues = true;
        var cluster = await StartClusterAsync(silos: 2, configure: silo =>
        {
            // Registered after the log's own balancer: the last registration of a provider's keyed balancer wins.
            foreach (var reader in new[] { PersistReader, PushReader })
            {
                silo.Services.AddKeyedSingleton<IStreamQueueBalancer>(reader.ProviderName, (_, _) => new EveryQueueBalancer());
            }
        });
        var log = StreamLogOf(cluster);
        await Eventually.WaitAsync(
            () => cluster.Silos.All(silo => LagOf(cluster, silo).HeldQueues.Count == 2 * log.Queues),
            () => $"every silo holding every queue: {DescribeSplit(cluster)}");

        var publishing = PublishAsync(cluster, producers: 4, streams, from: 0, count: perStream);
        var started = Stopwatch.StartNew();
        while (Run.Persist.Distinct < total || Run.Push.Distinct < total)
        {
            await AssertCheckpointsWithinProcessedPrefixAsync(log, Run.Persist);
            await AssertCheckpointsWithinProcessedPrefixAsync(log, Run.Push);
            Assert.True(started.Elapsed < Eventually.DefaultDeadline * 2, $"persist has {Run.Persist.Distinct}, push {Run.Push.Distinct} of {total} distinct events.");
            await Task.Delay(50);
        }

        await publishing;
        foreach (var reader in new[] { "persist", "push" })
        {
            await Eventually.WaitAsync(async () => await CheckpointsAtEndAsync(log, reader), () => $"the {reader} checkpoints reach the end of the log");
        }

        await AssertCheckpointsWithinProcessedPrefixAsync(log, Run.Persist);
        await AssertCheckpointsWithinProcessedPrefixAsync(log, Run.Push);
    }

    [Fact]
    public async Task The_providers_share_the_queues_and_only_the_write_only_one_publishes()
    {
        var cluster = await StartClusterAsync(silos: 1);
        var silo = cluster.GetSiloServiceProvider();
        var queues = StreamLogOf(cluster).Queues;
        foreach (var (name, direction) in new[] { (Publish, StreamProviderDirection.WriteOnly), ("persist", StreamProviderDirection.ReadOnly), ("push", StreamProviderDirection.ReadOnly) })
        {
            var factory = silo.GetRequiredKeyedService<IQueueAdapterFactory>(name);
            var adapter = await factory.CreateAdapter(CancellationToken.None);
            Assert.Equal(name, adapter.Name);
            Assert.Equal(direction, adapter.Direction);
            Assert.Equal(queues, factory.GetStreamQueueMapper().GetAllQueues().Count());
        }

        var producer = cluster.Client.GetGrain<ITestProducerGrain>($"{Run.Id}-reader");
        await Assert.ThrowsAnyAsync<Exception>(() => producer.PublishAsync(Run.Id, "persist", TestNamespaces.Source, ["s0"], 0, 1));
    }

    /// <summary>
    /// Not a check but a measurement, printed to the test output: events/s from publishing to both
    /// readers having processed everything, and the latency of one event while the readers are idle.
    /// Larger runs: <c>CHATCLUSTER_STREAMS_BENCH_EVENTS</c> (default 4000), <c>CHATCLUSTER_STREAMS_BENCH_SILOS</c> (1),
    /// <c>CHATCLUSTER_STREAMS_BENCH_POLL_MS</c> (the readers' poll period; default theirs).
    /// </summary>
    [Fact]
    public async Task Throughput_and_latency_are_measured()
    {
        var events = Setting("CHATCLUSTER_STREAMS_BENCH_EVENTS", 4000);
        var silos = (short)Setting("CHATCLUSTER_STREAMS_BENCH_SILOS", 1);
        var pollMs = Setting("CHATCLUSTER_STREAMS_BENCH_POLL_MS", 0);
        const int streams = 200, producers = 8;
        var perStream = Math.Max(1, events / streams);
        var readers = pollMs > 0
            ? new[] { PersistReader with { PollPeriod = TimeSpan.FromMilliseconds(pollMs) }, PushReader with { PollPeriod = TimeSpan.FromMilliseconds(pollMs) } }
            : [PersistReader, PushReader];
        var cluster = await StartClusterAsync(silos, readers);

        // Warm up: every stream once, so that the consumers are active.
        await PublishAsync(cluster, producers, streams, from: 0, count: 1);
        await Task.WhenAll(Run.Persist.WhenUniqueAsync(streams), Run.Push.WhenUniqueAsync(streams)).WaitAsync(Eventually.DefaultDeadline);
        var batchesBefore = (Run.Persist.Batches, Run.Push.Batches);

        var total = streams * (perStream + 1);
        var started = Stopwatch.StartNew();
        await PublishAsync(cluster, producers, streams, from: 1, count: perStream);
        var published = started.Elapsed;
        await Task.WhenAll(Run.Persist.WhenUniqueAsync(total), Run.Push.WhenUniqueAsync(total)).WaitAsync(TimeSpan.FromMinutes(5));
        var delivered = started.Elapsed;

        // Latency: one event at a time on an idle log, from the publishing call to the push consumer.
        var producer = cluster.Client.GetGrain<ITestProducerGrain>($"{Run.Id}-latency");
        var acks = new List<double>();
        var latencies = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            await producer.PublishAsync(Run.Id, Publish, TestNamespaces.Source, ["latency"], i, 1);
            acks.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            await Run.Push.WhenUniqueAsync(total + i + 1).WaitAsync(Eventually.DefaultDeadline);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            await Task.Delay(20);
        }

        var measured = events == perStream * streams ? $"{total - streams}" : $"{total - streams} (of {events} asked)";
        Output?.WriteLine(
            $"{GetType().Name}: {measured} events over {streams} streams from {producers} producer grains, {silos} silo(s), "
            + $"poll {(pollMs > 0 ? pollMs.ToString(CultureInfo.InvariantCulture) + " ms" : "default")}: "
            + $"published in {published.TotalSeconds:F2} s ({(total - streams) / published.TotalSeconds:F0}/s acked), "
            + $"both readers done in {delivered.TotalSeconds:F2} s ({(total - streams) / delivered.TotalSeconds:F0} events/s end to end); "
            + $"avg batch persist {(total - streams) / (double)Math.Max(1, Run.Persist.Batches - batchesBefore.Item1):F1}, push {(total - streams) / (double)Math.Max(1, Run.Push.Batches - batchesBefore.Item2):F1}; "
            + $"idle publish ack p50 {Percentile(acks, 0.5):F1} ms, publish-to-push p50 {Percentile(latencies, 0.5):F1} ms p90 {Percentile(latencies, 0.9):F1} ms max {latencies.Max():F1} ms");
        Assert.Empty(Run.Persist.Gaps);
        Assert.Empty(Run.Push.Gaps);
    }

    /// <summary>Starts a cluster of two silos over the log (then <paramref name="configure"/> on each silo); disposed with the test.</summary>
    protected async Task<InProcessTestCluster> StartClusterAsync(short silos = 2, LogReader[]? readers = null, Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            ConfigureLog(silo, Publish, readers ?? [PersistReader, PushReader]);
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        clusters.Add(cluster);
        await cluster.DeployAsync();
        return cluster;
    }

    protected async Task DisposeClusterAsync(InProcessTestCluster cluster)
    {
        clusters.Remove(cluster);
        await cluster.DisposeAsync();
    }

    protected static IStreamLog StreamLogOf(InProcessTestCluster cluster) =>
        cluster.GetSiloServiceProvider().GetRequiredService<IStreamLog>();

    protected static string[] StreamKeys(int streams) => Enumerable.Range(0, streams).Select(i => $"s{i}").ToArray();

    /// <summary>Publishes events <paramref name="from"/> onwards of each of <paramref name="streams"/> streams, from several producer grains.</summary>
    protected Task PublishAsync(InProcessTestCluster cluster, int producers, int streams, int from, int count)
    {
        var keys = StreamKeys(streams);
        return Task.WhenAll(Enumerable.Range(0, producers).Select(p => cluster.Client.GetGrain<ITestProducerGrain>($"{Run.Id}-{p}")
            .PublishAsync(Run.Id, Publish, TestNamespaces.Source, keys.Where((_, i) => i % producers == p).ToArray(), from, count)));
    }

    /// <summary>Publishes events <paramref name="perStream"/> to 2 x <paramref name="perStream"/> - 1 of each stream; both readers get all of them, in order per stream.</summary>
    private async Task PublishSecondRoundInOrderAsync(InProcessTestCluster cluster, int streams, int perStream)
    {
        await PublishAsync(cluster, producers: 4, streams, from: perStream, count: perStream);
        await WaitForAllAsync(streams * 2 * perStream, Run.Persist, Run.Push);
        Assert.Empty(Run.Persist.Gaps);
        Assert.Empty(Run.Push.Gaps);
    }

    protected static Task WaitForAllAsync(long expected, params ReaderLog[] readers) => Eventually.WaitAsync(
        () => readers.All(reader => reader.Unique >= expected),
        () => string.Join(", ", readers.Select(reader => $"{reader.Provider} has {reader.Unique} of {expected}"))
            + (readers.SelectMany(reader => reader.Gaps).FirstOrDefault() is { } gap ? $" ({gap})" : ""));

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static double Percentile(List<double> values, double fraction)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(fraction * sorted.Count))];
    }

    private static async Task<bool> CheckpointsAtEndAsync(IStreamLog log, string reader)
    {
        for (var queue = 0; queue < log.Queues; queue++)
        {
            if (await log.GetCheckpointAsync(reader, queue, CancellationToken.None) < await log.GetEndAsync(queue, CancellationToken.None))
            {
                return false;
            }
        }

        return true;
    }

    // The checkpoint is read before what was processed: what was processed only grows, so a checkpoint above it is a real violation.
    private static async Task AssertCheckpointsWithinProcessedAsync(IStreamLog log, ReaderLog reader)
    {
        for (var queue = 0; queue < log.Queues; queue++)
        {
            var checkpoint = await log.GetCheckpointAsync(reader.Provider, queue, CancellationToken.None);
            var processed = reader.ProcessedOffset(queue);
            Assert.True(checkpoint <= processed, $"{reader.Provider} checkpointed offset {checkpoint} of queue {queue}, but its consumer processed only up to {processed}.");
        }
    }

    private static StreamConsumerLag LagOf(InProcessTestCluster cluster, InProcessSiloHandle silo) =>
        cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<StreamConsumerLag>();

    // Every queue of each reader held by exactly one silo, and the silos' shares within one queue of each other.
    private static bool SplitEvenly(InProcessTestCluster cluster, int queues)
    {
        foreach (var reader in new[] { "persist", "push" })
        {
            var shares = cluster.Silos.Select(silo => LagOf(cluster, silo).HeldQueues.Where(held => held.Group == reader).Select(held => held.Queue).ToList()).ToList();
            var all = shares.SelectMany(share => share).ToList();
            if (all.Count != queues || all.Distinct().Count() != queues || shares.Max(share => share.Count) - shares.Min(share => share.Count) > 1)
            {
                return false;
            }
        }

        return true;
    }

    private static string DescribeSplit(InProcessTestCluster cluster) => string.Join("; ", cluster.Silos.Select(silo =>
        $"{silo.Name}: {string.Join(",", LagOf(cluster, silo).HeldQueues.Select(held => $"{held.Group}/{held.Queue}"))}"));

    // Each silo's gauge has a series for each queue it holds, per group, and none for the others.
    private static async Task AssertEachSiloReportsTheLagOfWhatItHoldsAsync(InProcessTestCluster cluster)
    {
        foreach (var silo in cluster.Silos)
        {
            var lag = LagOf(cluster, silo);
            var held = lag.HeldQueues.Select(q => $"{q.Group}/{q.Queue}").Order(StringComparer.Ordinal).ToList();
            await Eventually.WaitAsync(
                () => LagGauge.Read(lag).Select(series => $"{series.Group}/{series.Partition}").Order(StringComparer.Ordinal).SequenceEqual(held),
                () => $"{silo.Name} reports {string.Join(",", LagGauge.Read(lag).Select(series => $"{series.Group}/{series.Partition}"))}, holds {string.Join(",", held)}");
            Assert.All(LagGauge.Read(lag), series => Assert.Equal(TestNamespaces.Source, series.Namespace));
        }
    }

    // The checkpoint is read before what was processed: what was processed only grows, so a checkpoint past it is a real violation.
    private static async Task AssertCheckpointsWithinProcessedPrefixAsync(IStreamLog log, ReaderLog reader)
    {
        for (var queue = 0; queue < log.Queues; queue++)
        {
            var checkpoint = await log.GetCheckpointAsync(reader.Provider, queue, CancellationToken.None);
            var processed = reader.ProcessedPrefix(queue);
            Assert.True(checkpoint <= processed, $"{reader.Provider} checkpointed offset {checkpoint} of queue {queue}, but its consumers processed every record only up to {processed}.");
        }
    }
}
