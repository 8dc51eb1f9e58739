using ChatCluster.Streams.Tests.Conformance;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using StackExchange.Redis;
using Xunit;

namespace ChatCluster.Streams.Tests.Redis;

/// <summary>
/// The Redis log when Redis ran a command but its reply never came back, as when Redis restarts (a SIGTERM lets it run
/// the commands it has read and write them to the append-only file, not send their replies): through a proxy that loses
/// the next replies on purpose (<see cref="ReplyDroppingProxy"/>), on the shared redis-server with a key prefix per test.
/// </summary>
public sealed class RedisLogLostReplyTests : IAsyncLifetime
{
    private const int Queue = 1;
    private static readonly LogReader Reader = new("persist", TestNamespaces.Source, TestNamespaces.Persist);

    private readonly string keyPrefix = $"lostreply-{Guid.NewGuid():N}";
    private readonly ServiceProvider services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(RedisLog).Assembly).AddAssembly(typeof(TestEvent).Assembly))
        .BuildServiceProvider();

    // Disposed last to first: receivers' lag gauges, logs, proxies, the direct connection.
    private readonly List<IAsyncDisposable> owned = [];
    private RedisServer? server;
    private IDatabase? direct;

    private LogRecordCodec Codec => new(services.GetRequiredService<Serializer>());

    // Straight to redis-server, past any proxy: what Redis holds.
    private IDatabase Direct => direct!;

    public async Task InitializeAsync()
    {
        server = await SharedServers.Redis;
        var connection = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        owned.Add(connection);
        direct = connection.GetDatabase();
    }

    public async Task DisposeAsync()
    {
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            await owned[i].DisposeAsync();
        }

        await services.DisposeAsync();
    }

    /// <summary>
    /// An XREADGROUP whose reply was lost put its entries in this consumer's pending list (Redis counts them as read) but
    /// handed none of them on: the receiver reads its pending list again before anything new, so they are delivered, in order.
    /// </summary>
    [Fact]
    public async Task Entries_of_a_read_whose_reply_was_lost_are_delivered_in_order_before_newer_ones()
    {
        var (proxy, log) = await OpenThroughProxyAsync();
        await AppendAsync(log, 3);
        var receiver = Receiver(log, "silo-a");
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var first = await ReadAllAsync(receiver);
        Assert.Equal([1L, 2, 3], first.Select(container => container.Offset));
        await receiver.MessagesDeliveredAsync([.. first], CancellationToken.None);

        await AppendAsync(log, 3);
        proxy.DropNextReplies();
        await Assert.ThrowsAnyAsync<RedisException>(() => receiver.GetQueueMessagesAsync(100, CancellationToken.None));
        Assert.Equal(3, await PendingAsync(log, "silo-a"));

        await AppendAsync(log, 2);
        var after = await ReadAllAsync(receiver);
        Assert.Equal([4L, 5, 6, 7, 8], after.Select(container => container.Offset));
        await receiver.MessagesDeliveredAsync([.. after], CancellationToken.None);
        Assert.Equal(8, await log.GetCheckpointAsync(Reader.ProviderName, Queue, CancellationToken.None));
        Assert.Equal(0, await PendingAsync(log, "silo-a"));
    }

    /// <summary>
    /// An acknowledgement that failed (Orleans ignores a failed MessagesDeliveredAsync and never reports those messages
    /// again): the receiver acknowledges them with a later call, so they do not stay pending and hold the checkpoint for ever.
    /// </summary>
    [Fact]
    public async Task Deliveries_whose_acknowledgement_failed_are_acknowledged_later()
    {
        var (proxy, log) = await OpenThroughProxyAsync();
        await AppendAsync(log, 3);
        var receiver = Receiver(log, "silo-a");
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var read = await ReadAllAsync(receiver);
        Assert.Equal([1L, 2, 3], read.Select(container => container.Offset));

        proxy.DropNextRequests();
        await Assert.ThrowsAnyAsync<RedisException>(() => receiver.MessagesDeliveredAsync([.. read.Take(2)], CancellationToken.None));
        Assert.Equal(3, await PendingAsync(log, "silo-a"));

        await receiver.MessagesDeliveredAsync([read[2]], CancellationToken.None);
        Assert.Equal(3, await log.GetCheckpointAsync(Reader.ProviderName, Queue, CancellationToken.None));
        Assert.Equal(0, await PendingAsync(log, "silo-a"));
    }

    /// <summary>
    /// Entries pending for this consumer that it never handed on, however they got there without a read failing here
    /// (here: read by another client under this consumer's name), are delivered by the next look at the group
    /// (every <see cref="RedisLogOptions.ClaimPeriod"/>).
    /// </summary>
    [Fact]
    public async Task Own_pending_entries_never_handed_on_are_delivered_at_the_next_claim_period()
    {
        var log = await OpenAsync(server!.Endpoint, options => options.ClaimPeriod = TimeSpan.FromMilliseconds(100));
        await AppendAsync(log, 2);
        var receiver = Receiver(log, "silo-a");
        await receiver.Initialize(TimeSpan.FromSeconds(30), CancellationToken.None);
        var first = await ReadAllAsync(receiver);
        Assert.Equal([1L, 2], first.Select(container => container.Offset));
        await receiver.MessagesDeliveredAsync([.. first], CancellationToken.None);

        await AppendAsync(log, 2);
        var elsewhere = await Direct.StreamReadGroupAsync(log.StreamKey(Queue), Reader.ProviderName, "silo-a", StackExchange.Redis.StreamPosition.NewMessages);
        Assert.Equal(2, elsewhere.Length);

        var delivered = new List<LogBatchContainer>();
        await Eventually.WaitAsync(
            async () =>
            {
                delivered.AddRange((await receiver.GetQueueMessagesAsync(100, CancellationToken.None)).Cast<LogBatchContainer>());
                return delivered.Count >= 2;
            },
            () => $"{delivered.Count} of the 2 entries delivered");
        Assert.Equal([3L, 4], delivered.Select(container => container.Offset));
        await receiver.MessagesDeliveredAsync([.. delivered], CancellationToken.None);
        Assert.Equal(4, await log.GetCheckpointAsync(Reader.ProviderName, Queue, CancellationToken.None));
    }

    /// <summary>
    /// An append whose reply was lost fails, yet Redis stored it: the log's end read after the failure includes it, which
    /// is what lets a timeline reload after a failed publish (its read barrier waits for that end) find the message.
    /// </summary>
    [Fact]
    public async Task An_append_whose_reply_was_lost_fails_but_is_in_the_end_read_after_it()
    {
        var (proxy, log) = await OpenThroughProxyAsync();
        await AppendAsync(log, 2);
        proxy.DropNextReplies();
        await Assert.ThrowsAnyAsync<RedisException>(() => AppendAsync(log, 1));
        Assert.Equal(3, await log.GetEndAsync(Queue, CancellationToken.None));
        Assert.Equal(3, await Direct.StreamLengthAsync(log.StreamKey(Queue)));
    }

    // A log through a proxy of its own; only what a test triggers is claimed from other consumers.
    private async Task<(ReplyDroppingProxy Proxy, RedisLog Log)> OpenThroughProxyAsync()
    {
        var proxy = new ReplyDroppingProxy(server!.Port);
        owned.Add(proxy);
        var log = await OpenAsync(proxy.Endpoint, options => options.ClaimPeriod = TimeSpan.FromHours(1));
        return (proxy, log);
    }

    private async Task<RedisLog> OpenAsync(string endpoint, Action<RedisLogOptions> configure)
    {
        var options = new RedisLogOptions { Configuration = endpoint, KeyPrefix = keyPrefix, Queues = 2, TrimPeriod = TimeSpan.Zero };
        configure(options);
        var log = new RedisLog(options, [Reader.ProviderName], NullLogger.Instance);
        owned.Add(log);
        await log.OpenAsync(CancellationToken.None);
        return log;
    }

    private async Task<long> PendingAsync(RedisLog log, string consumer)
    {
        var pending = await Direct.StreamPendingAsync(log.StreamKey(Queue), Reader.ProviderName);
        return pending.Consumers.FirstOrDefault(c => c.Name == consumer).PendingMessageCount;
    }

    private RedisQueueReceiver Receiver(RedisLog log, string consumer)
    {
        var lag = new StreamConsumerLag(log, NullLogger.Instance);
        owned.Add(lag);
        return new RedisQueueReceiver(log, Reader, Queue, consumer, Codec, lag, NullLogger.Instance);
    }

    private async Task AppendAsync(RedisLog log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(Queue, StreamId.Create(TestNamespaces.Source, "s1"), Codec.Encode(LogRecordCodec.Body(new[] { new TestEvent("run", "s1", i) }, null)));
        }
    }

    // Reads until four reads in a row, 100 ms apart, brought nothing; a read failing while the connection comes back is retried.
    private static async Task<List<LogBatchContainer>> ReadAllAsync(RedisQueueReceiver receiver)
    {
        var all = new List<LogBatchContainer>();
        for (var empty = 0; empty < 4;)
        {
            IList<Orleans.Streams.IBatchContainer> batch;
            try
            {
                batch = await receiver.GetQueueMessagesAsync(100, CancellationToken.None);
            }
            catch (RedisConnectionException)
            {
                batch = [];
            }

            all.AddRange(batch.Cast<LogBatchContainer>());
            empty = batch.Count == 0 ? empty + 1 : 0;
            if (batch.Count == 0)
            {
                await Task.Delay(100);
            }
        }

        return all;
    }
}
