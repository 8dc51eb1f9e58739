using System.Threading.Channels;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>
/// Batches appends: one loop takes every append waiting, groups them by partition, and sends one command per
/// partition — XADD for a single entry, else a script that XADDs them all in order (atomic: all or none) —
/// without waiting for earlier batches' replies (the connection pipelines them). Each append completes when
/// Redis has answered for its batch. Order per partition is the order appends were enqueued.
/// </summary>
internal sealed class RedisStreamWriter : IAsyncDisposable
{
    /// <summary>Most entries one script call adds.</summary>
    private const int MaxBatch = 1024;

    private static readonly RedisScript AppendMany = new($"""
        local ids = {"{}"}
        for i = 1, #ARGV, 2 do
          ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', '{RedisStreamEntries.KeyField}', ARGV[i], '{RedisStreamEntries.PayloadField}', ARGV[i + 1])
        end
        return ids
        """);

    private readonly RedisConnection connection;
    private readonly Channel<RedisPendingAppend> queue = Channel.CreateUnbounded<RedisPendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock gate = new();
    private readonly HashSet<Task> inFlight = [];
    private readonly Task loop;

    public RedisStreamWriter(RedisConnection connection)
    {
        this.connection = connection;
        loop = Task.Run(RunAsync);
    }

    /// <exception cref="ObjectDisposedException">The provider is closing.</exception>
    public Task<StreamPosition> Enqueue(RedisPendingAppend append)
    {
        if (!queue.Writer.TryWrite(append))
        {
            throw new ObjectDisposedException(nameof(RedisStreamProvider), "The Redis stream provider is closed; nothing more can be appended.");
        }

        return append.Task;
    }

    /// <summary>Sends what is queued, waits for its replies, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop.ConfigureAwait(false);
        Task[] pending;
        lock (gate)
        {
            pending = [.. inFlight];
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var batches = new Dictionary<string, List<RedisPendingAppend>>(StringComparer.Ordinal);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (queue.Reader.TryRead(out var append))
            {
                if (append.CancellationToken.IsCancellationRequested)
                {
                    append.TrySetCanceled(append.CancellationToken);
                    continue;
                }

                if (!batches.TryGetValue(append.StreamKey, out var batch))
                {
                    batches[append.StreamKey] = batch = [];
                }

                batch.Add(append);
                if (batch.Count == MaxBatch)
                {
                    Send(append.StreamKey, batch);
                    batches.Remove(append.StreamKey);
                }
            }

            foreach (var (key, batch) in batches)
            {
                Send(key, batch);
            }

            batches.Clear();
        }
    }

    private void Send(string key, List<RedisPendingAppend> batch)
    {
        var sending = SendAsync(key, batch);
        lock (gate)
        {
            inFlight.Add(sending);
        }

        _ = sending.ContinueWith(done =>
        {
            lock (gate)
            {
                inFlight.Remove(done);
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Sends one batch and completes its appends; never throws (failures go to the appends).</summary>
    private async Task SendAsync(string key, List<RedisPendingAppend> batch)
    {
        try
        {
            if (batch.Count == 1)
            {
                var append = batch[0];
                var reply = await connection.ExecuteAsync(
                    ["XADD", key, "*", RedisStreamEntries.KeyField, append.Stream.Key, RedisStreamEntries.PayloadField, RedisArg.FromBytes(append.Payload)],
                    CancellationToken.None).ConfigureAwait(false);
                append.TrySetResult(RedisEntryIds.Parse(reply.AsString()!));
                return;
            }

            var arguments = new RedisArg[batch.Count * 2];
            for (var i = 0; i < batch.Count; i++)
            {
                arguments[2 * i] = batch[i].Stream.Key;
                arguments[(2 * i) + 1] = RedisArg.FromBytes(batch[i].Payload);
            }

            var ids = (await AppendMany.EvaluateAsync(connection, [key], arguments, CancellationToken.None).ConfigureAwait(false)).AsArray();
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].TrySetResult(RedisEntryIds.Parse(ids[i].AsString()!));
            }
        }
        catch (Exception ex)
        {
            foreach (var append in batch)
            {
                append.TrySetException(Describe(append, key, ex));
            }
        }
    }

    private StorageUnavailableException Describe(RedisPendingAppend append, string key, Exception ex) => ex switch
    {
        RedisErrorException => new StorageUnavailableException(
            $"Appending to {append.Stream} failed: Redis at {connection.Endpoint} refused the XADD to '{key}': {ex.Message}. The event was not appended.", ex),
        RedisException or TimeoutException => new StorageUnavailableException(
            $"Appending to {append.Stream} failed: Redis at {connection.Endpoint} did not acknowledge the XADD to '{key}': {ex.Message} "
            + "If the command reached Redis the event may be stored anyway; publishing it again may store it twice (at-least-once).", ex),
        _ => new StorageUnavailableException($"Appending to {append.Stream} (Redis key '{key}') failed: {ex.Message}", ex),
    };
}
