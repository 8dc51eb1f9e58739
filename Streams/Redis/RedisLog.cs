using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;
using StackExchange.Redis;
using RedisStreamPosition = StackExchange.Redis.StreamPosition;

namespace ChatCluster.Streams;

/// <summary>
/// The Redis Streams message log of one silo: its connection, and the positions (<see cref="IStreamLog"/>).
/// Queue <c>q</c> is the stream <c>{prefix}:log:{q}</c>; each entry carries its offset (from the counter
/// <c>{prefix}:offset:{q}</c>, taken in the same script as the XADD), namespace and payload (entries written before
/// 2026-12-07 also carry the stream's key, which no reader needs: each field is an allocation per entry read). Each reader
/// provider is a consumer group of every queue; its checkpoints are the hash <c>{prefix}:checkpoints:{reader}</c>,
/// its dead letters the stream <c>{prefix}:deadletter:{reader}</c>, and the consumer that holds queue <c>q</c> (the one
/// reader of it, see <see cref="HoldQueueAsync"/>) the key <c>{prefix}:owner:{reader}:{q}</c>.
/// </summary>
/// <remarks>
/// Durability is Redis': an append is acked once Redis ran the XADD; with <c>appendonly yes</c> and
/// <c>appendfsync everysec</c> a Redis crash may lose the last second. Run it with AOF (as membership needs anyway).
/// </remarks>
internal sealed partial class RedisLog : IMessageLog, IAsyncDisposable
{
    // The fields of an entry, named as bytes: names read back from Redis are bytes, and RedisValue compares bytes with
    // bytes as they are, where a string name would be encoded again at each comparison (several per entry read).
    internal static readonly RedisValue OffsetField = "offset"u8.ToArray();
    internal static readonly RedisValue NamespaceField = "namespace"u8.ToArray();
    internal static readonly RedisValue PayloadField = "payload"u8.ToArray();

    // INCRBY and the XADDs of a batch in one script: offsets follow entry ids, consecutive within the batch, and an entry
    // never lacks its offset. First the fence: a silo that Orleans' membership (in this Redis, KEYS[3]) declared dead may
    // still run for a moment (frozen, then resumed) and its old grain activations, which Orleans does not fence, would ack
    // sends their new activations never see; its appends are refused instead (Status 6 is SiloStatus.Dead; no row or no
    // fence: allowed). ARGV[1] is the silo's row, then namespace and payload of each record; returns the last offset.
    private const string AppendScript = """
        if ARGV[1] ~= '' then
            local row = redis.call('HGET', KEYS[3], ARGV[1])
            if row and cjson.decode(row)['Status'] == 6 then
                return redis.error_reply('FENCED: this silo is dead in the cluster membership; its appends are refused')
            end
        end
        local count = (#ARGV - 1) / 2
        local last = redis.call('INCRBY', KEYS[2], count)
        local offset = last - count
        for i = 2, #ARGV, 2 do
            offset = offset + 1
            redis.call('XADD', KEYS[1], '*', 'offset', offset, 'namespace', ARGV[i], 'payload', ARGV[i + 1])
        end
        return last
        """;

    // XACK of what needs no more delivery, then the checkpoint: the highest offset with nothing unacknowledged at or below
    // it, as the group's pending list says (the offset before its lowest pending entry, or the last entry the group read
    // when nothing is pending). Whichever consumers read what, it never passes an entry not acknowledged; it only moves
    // forward. Offsets are consecutive in a stream, so the entry before the lowest pending one need not be kept.
    private const string AcknowledgeScript = """
        local stream, checkpoints, group, field = KEYS[1], KEYS[2], ARGV[1], ARGV[2]
        for i = 3, #ARGV, 500 do
            redis.call('XACK', stream, group, unpack(ARGV, i, math.min(i + 499, #ARGV)))
        end
        local function offset_of(entries)
            local entry = entries[1]
            if not entry then return nil end
            local fields = entry[2]
            for j = 1, #fields, 2 do
                if fields[j] == 'offset' then return tonumber(fields[j + 1]) end
            end
            return nil
        end
        local through
        local pending = redis.call('XPENDING', stream, group)
        if pending[1] > 0 then
            local lowest = offset_of(redis.call('XRANGE', stream, pending[2], pending[2]))
            if lowest then through = lowest - 1 end
        else
            local last
            for _, info in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
                local name, id
                for j = 1, #info, 2 do
                    if info[j] == 'name' then name = info[j + 1] elseif info[j] == 'last-delivered-id' then id = info[j + 1] end
                end
                if name == group then last = id end
            end
            if last and last ~= '0-0' then through = offset_of(redis.call('XREVRANGE', stream, last, '-', 'COUNT', 1)) end
        end
        local current = tonumber(redis.call('HGET', checkpoints, field) or '0')
        if through and through > current then
            redis.call('HSET', checkpoints, field, through)
            return through
        end
        return current
        """;

    // A reader's hold on a queue: taken (or renewed) unless another consumer holds it, or by force. Redis' own record
    // of a consumer's last read does not do: an XREADGROUP that finds nothing new does not count as seen (Redis 7.0), so
    // an owner whose queue is quiet looked gone. ARGV: consumer, hold time (ms), '1' to take it from another holder.
    private const string HoldScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] and ARGV[3] ~= '1' then
            return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private readonly Lock gate = new();
    private readonly RedisLogOptions options;
    private readonly ILogger logger;
    private readonly string[] readers;
    private readonly long[] knownEnds;
    private readonly RedisAppendBatcher[] appenders;
    private readonly CancellationTokenSource closing = new();
    private Task? opening;
    private Task? trimming;
    private ConnectionMultiplexer? connection;
    private bool disposed;
    private readonly WriterFence? fence;

    // fence: the writer's row in Orleans' Redis membership table; appends are refused once it says Dead (null: no fence).
    // consumer: this silo's consumer name in the readers' groups (its address, new with each start); random when not given.
    public RedisLog(RedisLogOptions options, IEnumerable<string> readerProviders, ILogger logger, WriterFence? fence = null, string? consumer = null)
    {
        Consumer = consumer ?? Guid.NewGuid().ToString("N");
        this.fence = fence;
        this.options = options;
        this.logger = logger;
        KeyPrefix = options.KeyPrefix;
        Queues = options.Queues;
        readers = readerProviders.Distinct(StringComparer.Ordinal).ToArray();
        QueueMapper = LogQueueAdapterFactory.CreateQueueMapper(Queues);
        knownEnds = new long[Queues];
        appenders = new RedisAppendBatcher[Queues];
        for (var queue = 0; queue < Queues; queue++)
        {
            var q = queue;
            appenders[queue] = new RedisAppendBatcher(batch => AppendBatchAsync(q, batch));
        }
    }

    public string KeyPrefix { get; }

    /// <summary>This silo's consumer name in the readers' consumer groups.</summary>
    public string Consumer { get; }

    public int Queues { get; }

    public RedisLogOptions Options => options;

    /// <summary>The mapper of every provider over this log; the write-only provider's decides where a stream goes.</summary>
    public HashRingBasedStreamQueueMapper QueueMapper { get; }

    internal IDatabase Database
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return (connection ?? throw new InvalidOperationException($"The {this} is not open yet: its stream providers open it as the silo starts.")).GetDatabase();
        }
    }

    public RedisKey StreamKey(int queue) => $"{KeyPrefix}:log:{queue.ToString(CultureInfo.InvariantCulture)}";

    public RedisKey OffsetKey(int queue) => $"{KeyPrefix}:offset:{queue.ToString(CultureInfo.InvariantCulture)}";

    public RedisKey CheckpointsKey(string reader) => $"{KeyPrefix}:checkpoints:{reader}";

    public RedisKey HolderKey(string reader, int queue) => $"{KeyPrefix}:owner:{reader}:{queue.ToString(CultureInfo.InvariantCulture)}";

    public RedisKey DeadLetterKey(string reader) => $"{KeyPrefix}:deadletter:{reader}";

    private RedisKey SettingsKey => $"{KeyPrefix}:settings";

    public int QueueOf(StreamId streamId) => (int)QueueMapper.GetQueueForStream(streamId).GetNumericId();

    /// <summary>Connects, checks the queue count, creates the readers' groups, starts the trim; once, however often called.</summary>
    public Task OpenAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            opening ??= Task.Run(() => OpenCoreAsync(closing.Token), CancellationToken.None);
            return opening.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Appends one record to <paramref name="queue"/>: queued in call order before this returns, sent with the other
    /// records waiting for the queue (<see cref="RedisAppendBatcher"/>); the task completes with the record's offset once Redis ran it.
    /// </summary>
    public Task<long> AppendAsync(int queue, StreamId streamId, byte[] payload)
    {
        CheckQueue(queue);
        return appenders[queue].Enqueue(streamId, payload);
    }

    /// <summary>Append scripts sent so far, over every queue (each appends one or more records).</summary>
    public long AppendBatches => appenders.Sum(appender => appender.Batches);

    private async Task<long> AppendBatchAsync(int queue, IReadOnlyList<RedisAppendBatcher.Append> batch)
    {
        var args = new RedisValue[1 + 2 * batch.Count];
        args[0] = fence?.SiloRow ?? string.Empty;
        for (var i = 0; i < batch.Count; i++)
        {
            var append = batch[i];
            args[1 + 2 * i] = append.StreamId.Namespace;
            args[2 + 2 * i] = append.Payload;
        }

        var result = await Database.ScriptEvaluateAsync(
            AppendScript,
            fence is null ? [StreamKey(queue), OffsetKey(queue)] : [StreamKey(queue), OffsetKey(queue), fence.MembershipKey],
            args).ConfigureAwait(false);
        var last = (long)result;
        ObserveEnd(queue, last);
        return last;
    }

    Task IMessageLog.AppendAsync(int queue, StreamId streamId, byte[] payload, LogRecordBody body) => AppendAsync(queue, streamId, payload);

    public IQueueAdapterReceiver CreateReceiver(LogReader reader, int queue, LogRecordCodec codec, StreamConsumerLag lag, ILoggerFactory loggerFactory) =>
        new RedisQueueReceiver(this, reader, queue, Consumer, codec, lag, loggerFactory.CreateLogger<RedisQueueReceiver>());

    /// <summary>Creates the group of <paramref name="reader"/> on <paramref name="queue"/> at the start of the stream (and the stream) if missing.</summary>
    public async Task EnsureGroupAsync(string reader, int queue)
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(StreamKey(queue), reader, RedisStreamPosition.Beginning, createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>
    /// Acknowledges <paramref name="ids"/> in the group of <paramref name="reader"/> on <paramref name="queue"/> (none: just
    /// the checkpoint), then moves its checkpoint to the highest offset with nothing unacknowledged at or below it, as
    /// Redis sees the group; returns the checkpoint.
    /// </summary>
    public async Task<long> AcknowledgeAsync(string reader, int queue, IReadOnlyCollection<RedisValue> ids)
    {
        var args = new RedisValue[ids.Count + 2];
        args[0] = reader;
        args[1] = queue;
        var i = 2;
        foreach (var id in ids)
        {
            args[i++] = id;
        }

        return (long)await Database.ScriptEvaluateAsync(AcknowledgeScript, [StreamKey(queue), CheckpointsKey(reader)], args).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes or renews <paramref name="consumer"/>'s hold on <paramref name="queue"/> for <paramref name="reader"/>
    /// (<see cref="RedisLogOptions.QueueHoldTime"/>); false if another consumer holds it, unless <paramref name="force"/>.
    /// </summary>
    public async Task<bool> HoldQueueAsync(string reader, int queue, string consumer, bool force)
    {
        var holdMs = Math.Max(1, (long)Math.Ceiling(options.QueueHoldTime.TotalMilliseconds));
        var result = await Database.ScriptEvaluateAsync(HoldScript, [HolderKey(reader, queue)], [consumer, holdMs, force ? "1" : "0"]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>Lets go of <paramref name="consumer"/>'s hold on <paramref name="queue"/>, if it still has it: the next owner reads at once.</summary>
    public Task ReleaseQueueAsync(string reader, int queue, string consumer) =>
        Database.ScriptEvaluateAsync(ReleaseScript, [HolderKey(reader, queue)], [consumer]);

    public Task DeadLetterAsync(string reader, int queue, StreamEntry entry, string error)
    {
        var fields = new List<NameValueEntry>
        {
            new("queue", queue),
            new("id", entry.Id),
            new("error", error),
        };
        fields.AddRange(entry.Values);
        return Database.StreamAddAsync(DeadLetterKey(reader), [.. fields]);
    }

    /// <summary>The dead letters of <paramref name="reader"/>.</summary>
    public Task<long> CountDeadLettersAsync(string reader) => Database.StreamLengthAsync(DeadLetterKey(reader));

    /// <summary>The highest offset of <paramref name="queue"/> this silo knows appended (its own appends, and what its readers saw).</summary>
    public long KnownEnd(int queue) => Volatile.Read(ref knownEnds[queue]);

    public void ObserveEnd(int queue, long offset)
    {
        var known = Volatile.Read(ref knownEnds[queue]);
        while (offset > known)
        {
            var seen = Interlocked.CompareExchange(ref knownEnds[queue], offset, known);
            if (seen == known)
            {
                return;
            }

            known = seen;
        }
    }

    public async Task<long> GetEndAsync(int queue, CancellationToken ct)
    {
        CheckQueue(queue);
        await OpenAsync(ct).ConfigureAwait(false);
        var end = await Database.StringGetAsync(OffsetKey(queue)).WaitAsync(ct).ConfigureAwait(false);
        return end.IsNull ? 0 : (long)end;
    }

    public async Task<long> GetCheckpointAsync(string readerProvider, int queue, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(readerProvider);
        CheckQueue(queue);
        await OpenAsync(ct).ConfigureAwait(false);
        var checkpoint = await Database.HashGetAsync(CheckpointsKey(readerProvider), queue).WaitAsync(ct).ConfigureAwait(false);
        return checkpoint.IsNull ? 0 : (long)checkpoint;
    }

    /// <summary>
    /// Trims every queue's stream to the oldest entry some group still needs (its oldest pending entry,
    /// or the last it read): XTRIM MINID. Returns how many entries went.
    /// </summary>
    public async Task<long> TrimAsync()
    {
        long trimmed = 0;
        var database = Database;
        for (var queue = 0; queue < Queues; queue++)
        {
            var key = StreamKey(queue);
            var groups = await database.StreamGroupInfoAsync(key).ConfigureAwait(false);
            if (groups.Length == 0)
            {
                continue;
            }

            EntryId? min = null;
            foreach (var group in groups)
            {
                var needed = EntryId.Parse(group.LastDeliveredId);
                if (group.PendingMessageCount > 0)
                {
                    var pending = await database.StreamPendingAsync(key, group.Name).ConfigureAwait(false);
                    if (pending.PendingMessageCount > 0)
                    {
                        needed = EntryId.Parse(pending.LowestPendingMessageId);
                    }
                }

                min = min is null || needed.CompareTo(min.Value) < 0 ? needed : min;
            }

            if (min is { } minId && minId.CompareTo(default) > 0)
            {
                trimmed += await database.StreamTrimByMinIdAsync(key, minId.ToString()).ConfigureAwait(false);
            }
        }

        return trimmed;
    }

    /// <summary>The log without its password, for logs and messages.</summary>
    public override string ToString() => $"Redis log '{KeyPrefix}' on {Endpoints()}, {Queues} queues";

    public async ValueTask DisposeAsync()
    {
        Task? open;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            open = opening;
        }

        await closing.CancelAsync().ConfigureAwait(false);
        if (open is not null)
        {
            await open.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (trimming is not null)
        {
            await trimming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        closing.Dispose();
    }

    private string Endpoints()
    {
        try
        {
            return string.Join(",", ConfigurationOptions.Parse(options.Configuration).EndPoints.Select(endPoint => endPoint.ToString()));
        }
        catch (ArgumentException)
        {
            return "(an invalid configuration)";
        }
    }

    private async Task OpenCoreAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        ConnectionMultiplexer? opened;
        try
        {
            opened = await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            throw new OrleansConfigurationException($"The {this} could not connect to Redis: {ex.Message}", ex);
        }

        try
        {
            var database = opened.GetDatabase();
            await database.HashSetAsync(SettingsKey, "queues", Queues, When.NotExists).ConfigureAwait(false);
            var stored = (int)await database.HashGetAsync(SettingsKey, "queues").ConfigureAwait(false);
            if (stored != Queues)
            {
                throw new OrleansConfigurationException(
                    $"The {this} was created with {stored} queues, but {nameof(RedisLogOptions)}.{nameof(RedisLogOptions.Queues)} is {Queues}. "
                    + $"Streams hash to queues, so the queue count of a log cannot change: configure {stored}, or another {nameof(RedisLogOptions.KeyPrefix)}.");
            }

            lock (gate)
            {
                ObjectDisposedException.ThrowIf(disposed, this);
                connection = opened;
                opened = null;
            }

            // Every reader's group exists before anything is trimmed, so that no reader misses what it has not read yet.
            foreach (var reader in readers)
            {
                for (var queue = 0; queue < Queues; queue++)
                {
                    await EnsureGroupAsync(reader, queue).ConfigureAwait(false);
                }
            }

            for (var queue = 0; queue < Queues; queue++)
            {
                var end = await database.StringGetAsync(OffsetKey(queue)).ConfigureAwait(false);
                if (!end.IsNull)
                {
                    ObserveEnd(queue, (long)end);
                }
            }

            lock (gate)
            {
                if (options.TrimPeriod > TimeSpan.Zero && !disposed)
                {
                    trimming = Task.Run(() => TrimPeriodicallyAsync(closing.Token), CancellationToken.None);
                }
            }

            var endpoints = Endpoints();
            LogOpened(KeyPrefix, endpoints, Queues);
        }
        finally
        {
            if (opened is not null)
            {
                await opened.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private Task TrimPeriodicallyAsync(CancellationToken cancellationToken) => PeriodicTrim.RunAsync(
        options.TrimPeriod, TrimAsync, removed => LogTrimmed(removed, KeyPrefix), ex => LogTrimFailed(ex, KeyPrefix), cancellationToken);

    private void CheckQueue(int queue)
    {
        if (queue < 0 || queue >= Queues)
        {
            throw new ArgumentOutOfRangeException(nameof(queue), queue, $"The {this} has queues 0 to {Queues - 1}.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the Redis log '{KeyPrefix}' on {Endpoints} ({Queues} queues)")]
    private partial void LogOpened(string keyPrefix, string endpoints, int queues);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Trimmed} entries every reader had acknowledged from the Redis log '{KeyPrefix}'")]
    private partial void LogTrimmed(long trimmed, string keyPrefix);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming the Redis log '{KeyPrefix}' failed; retrying at the next period")]
    private partial void LogTrimFailed(Exception exception, string keyPrefix);

    /// <summary>A Redis stream entry id (<c>ms-seq</c>), ordered as Redis orders them.</summary>
    internal readonly record struct EntryId(ulong Milliseconds, ulong Sequence) : IComparable<EntryId>
    {
        public static EntryId Parse(string? id)
        {
            if (string.IsNullOrEmpty(id))
            {
                return default;
            }

            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return dash < 0
                ? new EntryId(ulong.Parse(id, CultureInfo.InvariantCulture), 0)
                : new EntryId(ulong.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }

        public int CompareTo(EntryId other)
        {
            var byMilliseconds = Milliseconds.CompareTo(other.Milliseconds);
            return byMilliseconds != 0 ? byMilliseconds : Sequence.CompareTo(other.Sequence);
        }

        public override string ToString() => $"{Milliseconds.ToString(CultureInfo.InvariantCulture)}-{Sequence.ToString(CultureInfo.InvariantCulture)}";
    }
}
