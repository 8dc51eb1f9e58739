using System.Collections.Concurrent;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>
/// Batches appends per partition, group-commit style: each partition has at most one command in flight; the
/// appends that arrive meanwhile wait and go out together as the next one — XADD for a single entry, else a
/// script that XADDs them all in order (atomic: all or none). So entries reach Redis in the order they were
/// enqueued, even across a reconnect or a script reload, while the partitions' commands share one pipelined
/// connection. Each append completes when Redis has answered for its batch. A batch holds the appends of one writer
/// (silo incarnation); with a membership key the script checks that writer's entry before it adds anything.
/// </summary>
internal sealed class RedisStreamWriter
{
    /// <summary>Most entries one script call adds.</summary>
    private const int MaxBatch = 1024;

    // KEYS: stream, and the membership hash when fenced. ARGV: the writer ('' = unchecked), then key/payload pairs.
    private static readonly RedisScript AppendMany = new(RedisStreamScripts.Fence(key: 2, argument: 1) + $"""
        local ids = {"{}"}
        for i = 2, #ARGV, 2 do
          ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', '{RedisStreamEntries.KeyField}', ARGV[i], '{RedisStreamEntries.PayloadField}', ARGV[i + 1])
        end
        return ids
        """);

    private readonly RedisConnection connection;
    private readonly string? membershipKey;
    private readonly ConcurrentDictionary<string, PartitionQueue> partitions = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int outstanding;
    private int closed;

    /// <param name="connection">The shared connection.</param>
    /// <param name="membershipKey">The membership hash that appends with a writer are checked against, or null.</param>
    public RedisStreamWriter(RedisConnection connection, string? membershipKey)
    {
        this.connection = connection;
        this.membershipKey = membershipKey;
    }

    /// <exception cref="ObjectDisposedException">The provider is closing.</exception>
    public Task<StreamPosition> Enqueue(RedisPendingAppend append)
    {
        Interlocked.Increment(ref outstanding);
        if (Volatile.Read(ref closed) != 0)
        {
            Completed();
            throw new ObjectDisposedException(nameof(RedisStreamProvider), "The Redis stream provider is closed; nothing more can be appended.");
        }

        var queue = partitions.GetOrAdd(append.StreamKey, static key => new PartitionQueue(key));
        List<RedisPendingAppend>? batch;
        lock (queue)
        {
            queue.Waiting.Add(append);
            batch = queue.Sending ? null : TakeBatch(queue);
        }

        if (batch is not null)
        {
            _ = SendAsync(queue, batch);
        }

        return append.Task;
    }

    /// <summary>Stops taking appends and waits until every append taken has its answer.</summary>
    public Task CloseAsync()
    {
        Volatile.Write(ref closed, 1);
        if (Volatile.Read(ref outstanding) == 0)
        {
            drained.TrySetResult();
        }

        return drained.Task;
    }

    /// <summary>Sends one batch, completes its appends, then the partition's next batch while appends are waiting. Never throws.</summary>
    private async Task SendAsync(PartitionQueue queue, List<RedisPendingAppend> batch)
    {
        while (true)
        {
            if (batch.Count > 0)
            {
                await SendBatchAsync(queue.Key, batch).ConfigureAwait(false);
            }

            lock (queue)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.Sending = false;
                    return;
                }

                batch = TakeBatch(queue);
            }
        }
    }

    /// <summary>
    /// Up to <see cref="MaxBatch"/> waiting appends of one writer, oldest first, dropping those canceled before they were
    /// sent; marks the queue sending. Call with the queue locked.
    /// </summary>
    private List<RedisPendingAppend> TakeBatch(PartitionQueue queue)
    {
        var waiting = queue.Waiting;
        var batch = new List<RedisPendingAppend>(Math.Min(waiting.Count, MaxBatch));
        var taken = 0;
        while (taken < waiting.Count && batch.Count < MaxBatch)
        {
            var append = waiting[taken];
            if (batch.Count > 0 && append.Writer != batch[0].Writer)
            {
                break; // the next batch: one membership check per script call
            }

            taken++;
            if (append.CancellationToken.IsCancellationRequested)
            {
                if (append.TrySetCanceled(append.CancellationToken))
                {
                    Completed();
                }

                continue;
            }

            batch.Add(append);
        }

        waiting.RemoveRange(0, taken);
        queue.Sending = true;
        return batch;
    }

    private async Task SendBatchAsync(string key, List<RedisPendingAppend> batch)
    {
        try
        {
            var writer = batch[0].Writer;
            if (batch.Count == 1 && writer is null)
            {
                var append = batch[0];
                var reply = await connection.ExecuteAsync(
                    ["XADD", key, "*", RedisStreamEntries.KeyField, append.Stream.Key, RedisStreamEntries.PayloadField, RedisArg.FromBytes(append.Payload)],
                    CancellationToken.None).ConfigureAwait(false);
                Complete(append, RedisEntryIds.Parse(reply.AsString()!));
                return;
            }

            var arguments = new RedisArg[1 + (batch.Count * 2)];
            arguments[0] = writer ?? string.Empty;
            for (var i = 0; i < batch.Count; i++)
            {
                arguments[1 + (2 * i)] = batch[i].Stream.Key;
                arguments[2 + (2 * i)] = RedisArg.FromBytes(batch[i].Payload);
            }

            RedisArg[] keys = writer is null ? [key] : [key, membershipKey!];
            var ids = (await AppendMany.EvaluateAsync(connection, keys, arguments, CancellationToken.None).ConfigureAwait(false)).AsArray();
            for (var i = 0; i < batch.Count; i++)
            {
                Complete(batch[i], RedisEntryIds.Parse(ids[i].AsString()!));
            }
        }
        catch (Exception ex)
        {
            foreach (var append in batch)
            {
                if (append.TrySetException(Describe(append, key, ex)))
                {
                    Completed();
                }
            }
        }
    }

    private void Complete(RedisPendingAppend append, StreamPosition position)
    {
        if (append.TrySetResult(position))
        {
            Completed();
        }
    }

    private void Completed()
    {
        if (Interlocked.Decrement(ref outstanding) == 0 && Volatile.Read(ref closed) != 0)
        {
            drained.TrySetResult();
        }
    }

    private StorageUnavailableException Describe(RedisPendingAppend append, string key, Exception ex) => ex switch
    {
        RedisErrorException { Kind: "FENCED" } => new StorageUnavailableException(
            $"Appending to {append.Stream} was refused: this silo's incarnation {append.Writer}, under which the publishing grain activated, "
            + "is dead in the membership table (the cluster gave up on it and the grain lives elsewhere now). The event was not appended.", ex),
        RedisErrorException => new StorageUnavailableException(
            $"Appending to {append.Stream} failed: Redis at {connection.Endpoint} refused the XADD to '{key}': {ex.Message}. The event was not appended.", ex),
        RedisException or TimeoutException => new StorageUnavailableException(
            $"Appending to {append.Stream} failed: Redis at {connection.Endpoint} did not acknowledge the XADD to '{key}': {ex.Message} "
            + "If the command reached Redis the event may be stored anyway; publishing it again may store it twice (at-least-once).", ex),
        _ => new StorageUnavailableException($"Appending to {append.Stream} (Redis key '{key}') failed: {ex.Message}", ex),
    };

    /// <summary>The appends of one partition waiting for its command in flight (lock the queue to use it).</summary>
    private sealed class PartitionQueue(string key)
    {
        public string Key { get; } = key;

        public List<RedisPendingAppend> Waiting { get; } = [];

        public bool Sending { get; set; }
    }
}
