using System.Diagnostics;
using ChatCluster.Runtime.Redis;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>
/// Reads one partition of a <see cref="RedisStreamProvider"/> for one handler group, as the consumer
/// <see cref="RedisStreamOptions.ConsumerName"/> of the group's consumer group. On the first read it creates
/// the group if needed and claims every pending entry of the group (XAUTOCLAIM, min-idle 0), so entries a
/// previous owner read but did not acknowledge are delivered again; after opening and after
/// <see cref="Rewind"/> it first re-reads its own pending entries (XREADGROUP from id 0), then new ones
/// (XREADGROUP <c>&gt;</c> with BLOCK, on a connection of its own so the block stalls nothing else). Once per
/// <see cref="RedisStreamOptions.ClaimIdleTime"/>, between batches, it also claims the entries another consumer has held
/// unacknowledged for that long (a previous owner that read after this reader opened) and delivers them next.
/// </summary>
/// <remarks>
/// One reader per (group, partition) at a time is assumed (partition ownership is the caller's): two live
/// readers of different consumer names would split the partition's entries between them and claim each
/// other's pending entries.
/// </remarks>
internal sealed partial class RedisPartitionReader : IPartitionReader
{
    private static readonly TimeSpan LongestBlock = TimeSpan.FromMinutes(1);
    private readonly RedisStreamProvider provider;
    private readonly CheckpointKey key;
    private readonly string stream;
    private readonly string checkpoints;
    private readonly string consumer;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;

    // Entries read (handed out or deleted while pending) and not yet acknowledged, in id order.
    private readonly List<(StreamPosition Position, string Id)> unacknowledged = [];
    private RedisConnection? blockingConnection;
    private bool opened;
    private string? pendingCursor = "0";
    private long lastTrim = Stopwatch.GetTimestamp();
    private long lastClaim = Stopwatch.GetTimestamp();
    private bool disposed;

    // The silo incarnation the reader acknowledges for (checked against the membership table), or null: unchecked.
    private readonly string? owner;

    public RedisPartitionReader(RedisStreamProvider provider, CheckpointKey key, string? owner, ILoggerFactory loggerFactory)
    {
        this.owner = owner;
        this.provider = provider;
        this.key = key;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<RedisPartitionReader>();
        stream = provider.Keys.Stream(key.Namespace, key.Partition);
        checkpoints = provider.Keys.Checkpoints(key.Namespace, key.Partition);
        consumer = provider.Options.ConsumerName;
    }

    public async Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ObjectDisposedException.ThrowIf(disposed, this);
        try
        {
            if (!opened)
            {
                await provider.EnsureGroupAsync(stream, key.Group, cancellationToken);
                await ClaimPendingAsync(0, cancellationToken);
                opened = true;
                lastClaim = Stopwatch.GetTimestamp();
            }
            else if (unacknowledged.Count == 0 && Stopwatch.GetElapsedTime(lastClaim) >= provider.Options.ClaimIdleTime)
            {
                lastClaim = Stopwatch.GetTimestamp();
                if (await ClaimPendingAsync((long)provider.Options.ClaimIdleTime.TotalMilliseconds, cancellationToken) > 0)
                {
                    pendingCursor = "0"; // deliver what was claimed (now pending here) before new entries
                }
            }

            while (pendingCursor is not null)
            {
                var pending = RedisStreamEntries.ParseRead(await provider.Connection.ExecuteAsync(
                    ["XREADGROUP", "GROUP", key.Group, consumer, "COUNT", maxCount, "STREAMS", stream, pendingCursor], cancellationToken), key.Namespace);
                if (pending.Count == 0)
                {
                    pendingCursor = null; // every pending entry re-read: now the new ones
                    break;
                }

                pendingCursor = pending[^1].Id;
                var events = Take(pending);
                if (events.Count > 0)
                {
                    return events;
                }
            }

            return await ReadNewAsync(maxCount, wait, cancellationToken);
        }
        catch (RedisErrorException ex) when (ex.Kind == "NOGROUP")
        {
            // The stream (and with it the group) was deleted: create the group again on the next read.
            provider.ForgetGroup(stream, key.Group);
            opened = false;
            Rewind();
            throw;
        }
    }

    public async Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var count = 0;
        while (count < unacknowledged.Count && unacknowledged[count].Position <= position)
        {
            count++;
        }

        // Trimming rides on the acknowledgement (same script, one round trip) once per trim interval.
        var trim = Stopwatch.GetElapsedTime(lastTrim) >= provider.Options.TrimInterval;
        var arguments = new RedisArg[4 + count];
        arguments[0] = key.Group;
        arguments[1] = RedisEntryIds.Format(position);
        arguments[2] = trim ? "1" : "0";
        arguments[3] = owner ?? string.Empty;
        for (var i = 0; i < count; i++)
        {
            arguments[4 + i] = unacknowledged[i].Id;
        }

        RedisArg[] keys = owner is null ? [stream, checkpoints] : [stream, checkpoints, provider.Options.MembershipKey!];
        await RedisStreamScripts.Acknowledge.EvaluateAsync(provider.Connection, keys, arguments, cancellationToken);
        unacknowledged.RemoveRange(0, count);
        if (trim)
        {
            lastTrim = Stopwatch.GetTimestamp();
        }
    }

    public void Rewind()
    {
        // What is pending in Redis for this consumer is exactly what was read and not acknowledged.
        unacknowledged.Clear();
        pendingCursor = "0";
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        if (blockingConnection is not null)
        {
            await blockingConnection.DisposeAsync();
        }
    }

    /// <summary>New entries (<c>&gt;</c>), blocking up to <paramref name="wait"/> on this reader's own connection.</summary>
    private async Task<IReadOnlyList<StoredStreamEvent>> ReadNewAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            return Take(RedisStreamEntries.ParseRead(await provider.Connection.ExecuteAsync(
                ["XREADGROUP", "GROUP", key.Group, consumer, "COUNT", maxCount, "STREAMS", stream, ">"], cancellationToken), key.Namespace));
        }

        blockingConnection ??= new RedisConnection(provider.Redis, loggerFactory.CreateLogger<RedisConnection>());
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = wait == Timeout.InfiniteTimeSpan ? LongestBlock : wait - Stopwatch.GetElapsedTime(started);
            var block = (long)Math.Ceiling(Math.Clamp(remaining.TotalMilliseconds, 1, LongestBlock.TotalMilliseconds));
            // Entries a lost reply carried stay pending for this consumer; the consumer's Rewind after the failure re-reads them.
            var reply = await blockingConnection.ExecuteAsync(
                ["XREADGROUP", "GROUP", key.Group, consumer, "COUNT", maxCount, "BLOCK", block, "STREAMS", stream, ">"],
                TimeSpan.FromMilliseconds(block) + provider.Redis.CommandTimeout,
                cancellationToken);
            var events = Take(RedisStreamEntries.ParseRead(reply, key.Namespace));
            if (events.Count > 0 || wait != Timeout.InfiniteTimeSpan)
            {
                return events;
            }
        }
    }

    /// <summary>Remembers the entries for acknowledgement and returns their events (an entry deleted while pending has none).</summary>
    private List<StoredStreamEvent> Take(List<(string Id, StoredStreamEvent? Event)> entries)
    {
        var events = new List<StoredStreamEvent>(entries.Count);
        foreach (var (id, stored) in entries)
        {
            unacknowledged.Add((RedisEntryIds.Parse(id), id));
            if (stored is not null)
            {
                events.Add(stored);
            }
        }

        return events;
    }

    /// <summary>
    /// Moves the group's entries pending for at least <paramref name="minIdleMilliseconds"/> to this consumer (those of a
    /// previous owner, and its own), keeping their ids. Returns how many.
    /// </summary>
    private async Task<int> ClaimPendingAsync(long minIdleMilliseconds, CancellationToken cancellationToken)
    {
        var cursor = "0-0";
        var claimed = 0;
        do
        {
            var reply = (await provider.Connection.ExecuteAsync(
                ["XAUTOCLAIM", stream, key.Group, consumer, minIdleMilliseconds, cursor, "COUNT", provider.Options.ClaimBatchSize, "JUSTID"], cancellationToken)).AsArray();
            cursor = reply[0].AsString()!;
            claimed += reply[1].AsArray().Count;
        }
        while (cursor != "0-0");

        if (claimed > 0)
        {
            LogClaimed(logger, key.Group, key.Namespace, key.Partition, consumer, claimed);
        }

        return claimed;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Group {Group} on {Namespace} partition {Partition}: consumer {Consumer} took over {Count} pending entries (its own or a previous owner's); they are delivered again")]
    private static partial void LogClaimed(ILogger logger, string group, string @namespace, int partition, string consumer, int count);
}
