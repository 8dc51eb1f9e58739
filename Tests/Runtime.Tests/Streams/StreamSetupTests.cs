using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Streams.Memory;
using Microsoft.Extensions.DependencyInjection;
using static ChatCluster.Runtime.Tests.Streams.StreamTesting;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>Registration and publishing refuse bad arguments with messages that say what to change.</summary>
public sealed class StreamSetupTests
{
    [Fact]
    public async Task Publishing_to_a_stream_id_without_namespace_or_key_or_a_null_event_is_refused()
    {
        var publisher = new StreamPublisher(new MemoryStreamProvider());
        var barrier = new StreamBarrier(new MemoryStreamProvider());

        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(new StreamId("", "k"), new TestEvent("k", 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(new StreamId(" ", "k"), new TestEvent("k", 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(new StreamId("ns", ""), new TestEvent("k", 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => publisher.PublishAsync(default, new TestEvent("k", 1)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => publisher.PublishAsync<TestEvent?>(new StreamId("ns", "k"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => barrier.WaitHandledAsync("", new StreamId("ns", "k"), CancellationToken.None));
    }

    [Fact]
    public void Handler_registrations_with_empty_names_bad_options_or_a_duplicate_group_are_refused()
    {
        var builder = new ServiceCollection().AddGrainRuntime().AddMemoryStreams();

        Assert.Throws<ArgumentException>(() => builder.AddStreamHandler<RecordingHandler, TestEvent>("", "g"));
        Assert.Throws<ArgumentException>(() => builder.AddStreamHandler<RecordingHandler, TestEvent>("ns", " "));
        var badBatch = Assert.Throws<ArgumentException>(() => builder.AddStreamHandler<RecordingHandler, TestEvent>("ns", "g", o => o.BatchSize = 0));
        Assert.Contains("BatchSize is 0", badBatch.Message, StringComparison.Ordinal);
        var badBackoff = Assert.Throws<ArgumentException>(() => builder.AddStreamHandler<RecordingHandler, TestEvent>("ns", "g", o =>
        {
            o.MaxAttempts = 0;
            o.MaxBackoff = TimeSpan.FromMilliseconds(1);
        }));
        Assert.Contains("MaxAttempts is 0", badBackoff.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBackoff", badBackoff.Message, StringComparison.Ordinal);

        builder.AddStreamHandler<RecordingHandler, TestEvent>("ns", "g");
        var duplicate = Assert.Throws<ArgumentException>(() => builder.AddStreamHandler<OtherRecordingHandler, TestEvent>("ns", "g"));
        Assert.Contains("'g' already handles 'ns'", duplicate.Message, StringComparison.Ordinal);
        builder.AddStreamHandler<OtherRecordingHandler, TestEvent>("ns", "other-group");
        builder.AddStreamHandler<RecordingHandler, TestEvent>("other-ns", "g");
    }

    [Fact]
    public void Stream_providers_with_a_bad_partition_count_or_path_are_refused()
    {
        var builder = new ServiceCollection().AddGrainRuntime();

        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddMemoryStreams(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddSqliteStreams("streams.db", 5000));
        Assert.Throws<ArgumentException>(() => builder.AddSqliteStreams(" "));
    }

    [Fact(Timeout = 30_000)]
    public async Task Handlers_without_a_stream_provider_fail_the_start_and_name_the_fix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestSilo.StartAsync(b => b
            .AddMemoryGrainStorage()
            .AddStreamHandler<RecordingHandler, TestEvent>("ns", "g")));

        Assert.Contains("AddMemoryStreams", error.Message, StringComparison.Ordinal);
        Assert.Contains("g on ns", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_publisher_and_barrier_without_a_stream_provider_name_the_fix()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddGrainRuntime().AddMemoryGrainStorage();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(provider.GetRequiredService<StreamPublisher>);
        Assert.Contains("AddSqliteStreams", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(provider.GetRequiredService<StreamBarrier>);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_publisher_and_barrier_from_dependency_injection_use_the_configured_provider()
    {
        var provider = new MemoryStreamProvider(2);
        var handler = new RecordingHandler();
        await using var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "ns", "g"));
        var publisher = silo.Runtime.Services.GetRequiredService<StreamPublisher>();
        var barrier = silo.Runtime.Services.GetRequiredService<StreamBarrier>();

        var stream = new StreamId("ns", "k");
        await publisher.PublishAsync(stream, new TestEvent("k", 1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await barrier.WaitHandledAsync("g", stream, timeout.Token);

        Assert.Equal(1, Assert.Single(handler.Handled).Event.Seq);
    }
}
