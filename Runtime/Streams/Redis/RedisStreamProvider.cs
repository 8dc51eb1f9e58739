using System.Collections.Concurrent;
using ChatCluster.Runtime.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>
/// Streams in Redis Streams: one stream key per (namespace, partition), one consumer group per handler
/// group, the groups' checkpoints in a hash per partition. An append completes once Redis acknowledged the
/// XADD; each partition has one append command in flight at a time, and the appends that arrive meanwhile go
/// out together as its next one (<see cref="RedisStreamWriter"/>); the partitions' commands are pipelined on
/// one shared connection.
/// </summary>
/// <remarks>
/// <para><b>Durability is Redis's.</b> "Durable" here means Redis accepted the entry: it survives a crash of
/// this process, but a crash of Redis loses what it had not yet written to its append-only file. Run Redis
/// with <c>appendonly yes</c> (<c>appendfsync everysec</c> loses at most about a second on a power cut;
/// <c>always</c> loses nothing at a large cost in throughput); without AOF a Redis restart loses every stream.</para>
/// <para><b>Readers</b> (<see cref="OpenReader(string, string, int, string?)"/>) read with XREADGROUP as consumer <see cref="RedisStreamOptions.ConsumerName"/>.
/// On opening a partition a reader claims (XAUTOCLAIM) the group's pending entries of every other consumer,
/// then re-reads its own pending entries before new ones: a new owner of a partition redelivers, in order,
/// what a dead one read but did not acknowledge. Each reader blocks on a connection of its own, so a
/// blocked read never holds up appends or acknowledgements.</para>
/// <para><b>Trimming</b>: after acknowledgements (at most every <see cref="RedisStreamOptions.TrimInterval"/>) a
/// reader trims its partition to the lowest checkpoint of all the stream's consumer groups. A group that never
/// acknowledged anything (including one left behind by a handler group that was removed) keeps every entry:
/// delete such a group (XGROUP DESTROY) to let the stream be trimmed.</para>
/// </remarks>
public sealed partial class RedisStreamProvider : IStreamProvider, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Stream, string Group), bool> groups = new();
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly RedisStreamWriter writer;
    private int disposed;

    /// <param name="redis">The Redis server; the provider opens its own connections to it.</param>
    /// <param name="options">Partitions, key prefix, consumer name.</param>
    /// <param name="loggerFactory">Logs connection and trim problems; none when null.</param>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public RedisStreamProvider(RedisOptions redis, RedisStreamOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(RedisStreamOptions.Section, typeof(RedisStreamOptions), problems);
        }

        Redis = redis;
        Options = options;
        Partitions = options.Partitions;
        Keys = new RedisStreamKeys(options.KeyPrefix);
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<RedisStreamProvider>();
        Connection = new RedisConnection(redis, this.loggerFactory.CreateLogger<RedisConnection>());
        writer = new RedisStreamWriter(Connection, options.MembershipKey);
    }

    /// <inheritdoc />
    public int Partitions { get; }

    /// <inheritdoc />
    /// <remarks>True: every silo reads the same Redis streams, so the silos divide the partitions.</remarks>
    public bool IsShared => true;

    /// <summary>The provider's settings.</summary>
    public RedisStreamOptions Options { get; }

    internal RedisOptions Redis { get; }

    internal RedisStreamKeys Keys { get; }

    /// <summary>The shared, pipelined connection: appends, acknowledgements, checkpoints, claims (never a blocking read).</summary>
    internal RedisConnection Connection { get; }

    /// <summary>
    /// Connects, and stores the partition count under the prefix (the first process does) or checks it
    /// against the one stored: stream ids hash to partitions, so the count cannot change.
    /// </summary>
    /// <exception cref="RedisException">Redis cannot be reached.</exception>
    /// <exception cref="InvalidOperationException">The prefix's streams were created with another number of partitions.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        await Connection.ConnectAsync(cancellationToken);
        await Connection.ExecuteAsync(["SET", Keys.PartitionCount, Partitions, "NX"], cancellationToken);
        var stored = (await Connection.ExecuteAsync(["GET", Keys.PartitionCount], cancellationToken)).AsInt64();
        if (stored != Partitions)
        {
            throw new InvalidOperationException(
                $"The Redis streams under prefix '{Options.KeyPrefix}' were created with {stored} partitions, but {Partitions} are configured "
                + $"({RedisStreamOptions.Section}:{nameof(RedisStreamOptions.Partitions)}). Stream ids hash to partitions, so the count cannot change: configure {stored}.");
        }
    }

    /// <inheritdoc />
    /// <remarks>Appends to a partition reach Redis in the order they were made, batched while the partition's previous command is in flight (<see cref="RedisStreamWriter"/>).</remarks>
    /// <exception cref="StorageUnavailableException">Redis did not acknowledge the XADD (unreachable, timed out, or it answered with an error).</exception>
    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        AppendAsync(stream, payload, null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// With <see cref="RedisStreamOptions.MembershipKey"/> set and a <paramref name="writer"/>, the XADD runs in a script
    /// that first checks the writer's membership entry: missing or dead, nothing is appended and the append fails
    /// with <see cref="StorageUnavailableException"/>.
    /// </remarks>
    /// <exception cref="StorageUnavailableException">Redis did not acknowledge the XADD (unreachable, timed out, or it answered with an error), or the writer is fenced off.</exception>
    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, string? writer, CancellationToken cancellationToken)
    {
        StreamIds.Validate(stream, nameof(stream));
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<StreamPosition>(cancellationToken);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        // The caller awaits the append, which completes after the command was written: its buffer is not copied.
        return this.writer.Enqueue(new RedisPendingAppend(stream, Keys.Stream(stream.Namespace, stream.PartitionOf(Partitions)), payload, Options.MembershipKey is null ? null : writer, cancellationToken));
    }

    /// <inheritdoc />
    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition) =>
        OpenReader(handlerGroup, streamNamespace, partition, null);

    /// <inheritdoc />
    /// <remarks>With <see cref="RedisStreamOptions.MembershipKey"/> set and an <paramref name="owner"/>, each acknowledgement script first checks the owner's membership entry: missing or dead, nothing is acknowledged and the call fails.</remarks>
    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition, string? owner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        return new RedisPartitionReader(this, new CheckpointKey(handlerGroup, streamNamespace, partition), Options.MembershipKey is null ? null : owner, loggerFactory);
    }

    /// <inheritdoc />
    /// <remarks>The stream's last generated id (XINFO STREAM): it never goes back, even when the entry was trimmed.</remarks>
    public async Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        RedisReply reply;
        try
        {
            reply = await Connection.ExecuteAsync(["XINFO", "STREAM", Keys.Stream(streamNamespace, partition)], cancellationToken);
        }
        catch (RedisErrorException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return StreamPosition.Start;
        }

        var fields = reply.AsArray();
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            if (fields[i].AsString() == "last-generated-id")
            {
                return RedisEntryIds.Parse(fields[i + 1].AsString()!);
            }
        }

        throw new FormatException($"XINFO STREAM of '{Keys.Stream(streamNamespace, partition)}' has no last-generated-id.");
    }

    /// <inheritdoc />
    /// <remarks>
    /// The group's checkpoint, but never at or past an entry still pending in the group: when a partition changes
    /// owner, the new one may acknowledge later entries while the old one still holds earlier ones (or left them
    /// behind, to be claimed after <see cref="RedisStreamOptions.ClaimIdleTime"/>), and a read barrier must wait for those.
    /// </remarks>
    public async Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        var reply = (await RedisStreamScripts.Handled.EvaluateAsync(
            Connection, [Keys.Stream(streamNamespace, partition), Keys.Checkpoints(streamNamespace, partition)], [handlerGroup], cancellationToken)).AsArray();
        var checkpoint = reply[0].IsNull ? StreamPosition.Start : RedisEntryIds.Parse(reply[0].AsString()!);
        if (reply.Count > 1 && !reply[1].IsNull && RedisEntryIds.Parse(reply[1].AsString()!) is var pending && pending <= checkpoint)
        {
            return RedisEntryIds.Before(pending);
        }

        return checkpoint;
    }

    /// <inheritdoc />
    /// <remarks>
    /// From XINFO GROUPS: the entries not yet delivered to the group (<c>lag</c>) plus those delivered and not
    /// acknowledged (<c>pending</c>). Where Redis cannot tell the lag (after some deletions it reports none), the
    /// stream's length stands in for it: the stream keeps only what some group has not acknowledged, so it is an upper bound.
    /// </remarks>
    public async Task<long> GetLagAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        var stream = Keys.Stream(streamNamespace, partition);
        RedisReply reply;
        try
        {
            reply = await Connection.ExecuteAsync(["XINFO", "GROUPS", stream], cancellationToken);
        }
        catch (RedisErrorException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        foreach (var group in reply.AsArray())
        {
            var fields = group.AsArray();
            string? name = null;
            long pending = 0;
            long? lag = null;
            for (var i = 0; i + 1 < fields.Count; i += 2)
            {
                switch (fields[i].AsString())
                {
                    case "name": name = fields[i + 1].AsString(); break;
                    case "pending": pending = fields[i + 1].AsInt64(); break;
                    case "lag": lag = fields[i + 1].IsNull ? null : fields[i + 1].AsInt64(); break;
                }
            }

            if (name == handlerGroup)
            {
                return pending + (lag ?? (await Connection.ExecuteAsync(["XLEN", stream], cancellationToken)).AsInt64());
            }
        }

        // The group has not read yet: everything in the stream is ahead of it.
        return (await Connection.ExecuteAsync(["XLEN", stream], cancellationToken)).AsInt64();
    }

    /// <summary>
    /// Removes the partition's entries that every consumer group of the stream acknowledged (XTRIM MINID to the
    /// lowest checkpoint); nothing when a group has no checkpoint. Readers call it after acknowledgements.
    /// </summary>
    /// <returns>The number of entries removed.</returns>
    public async Task<long> TrimAsync(string streamNamespace, int partition, CancellationToken cancellationToken)
    {
        StreamIds.ValidatePartition(streamNamespace, partition, Partitions);
        var stream = Keys.Stream(streamNamespace, partition);
        try
        {
            var reply = await RedisStreamScripts.Trim.EvaluateAsync(Connection, [stream, Keys.Checkpoints(streamNamespace, partition)], [], cancellationToken);
            return reply.AsInt64();
        }
        catch (RedisErrorException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"Redis Streams at {Connection.Endpoint}, {Options}";

    /// <summary>Sends the appends already accepted and waits for them, then closes the shared connection (readers close their own when disposed).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            await writer.CloseAsync();
            await Connection.DisposeAsync();
        }
    }

    /// <summary>Creates the consumer group at the start of the stream (creating the stream too) unless this process did already; BUSYGROUP means another did.</summary>
    internal async Task EnsureGroupAsync(string stream, string group, CancellationToken cancellationToken)
    {
        if (groups.ContainsKey((stream, group)))
        {
            return;
        }

        try
        {
            await Connection.ExecuteAsync(["XGROUP", "CREATE", stream, group, "0", "MKSTREAM"], cancellationToken);
            LogGroupCreated(logger, group, stream);
        }
        catch (RedisErrorException ex) when (ex.Kind == "BUSYGROUP")
        {
            // Created before, by this process or another one.
        }

        groups[(stream, group)] = true;
    }

    /// <summary>The group is gone (NOGROUP: the stream was deleted); the next <see cref="EnsureGroupAsync"/> creates it again.</summary>
    internal void ForgetGroup(string stream, string group) => groups.TryRemove((stream, group), out _);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created consumer group {Group} on Redis stream {Stream}")]
    private static partial void LogGroupCreated(ILogger logger, string group, string stream);
}
