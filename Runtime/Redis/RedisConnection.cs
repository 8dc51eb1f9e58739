using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// One multiplexed, pipelined connection to Redis (RESP2). Any number of callers may call
/// <see cref="ExecuteAsync(RedisArg[])"/> at once: commands go out in call order, batched into few
/// writes, and each caller gets its own reply (Redis answers in order). Server error replies fail only
/// their command (<see cref="RedisErrorException"/>). A lost connection fails the commands queued or in
/// flight (<see cref="RedisConnectionException"/>); the next command reconnects, after a short back-off.
/// </summary>
/// <remarks>
/// <para>Blocking commands (BLPOP, XREAD/XREADGROUP with BLOCK, WAIT) hold up every command behind them
/// on the same connection, so give each blocking consumer a connection of its own
/// (<c>new RedisConnection(options)</c>; connections are cheap) and a command timeout longer than its
/// block time.</para>
/// <para>MULTI/EXEC is safe only on a connection no other caller uses at the same time (the commands of
/// other callers would land inside the transaction); prefer a Lua script (<see cref="RedisScript"/>).</para>
/// </remarks>
public sealed partial class RedisConnection : IAsyncDisposable
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly RedisOptions options;
    private readonly string host;
    private readonly int port;
    private readonly ILogger logger;
    private readonly SemaphoreSlim slots;
    private readonly CancellationTokenSource disposing = new();
    private readonly Lock gate = new();
    private RedisSession? session;
    private Task<RedisSession>? connecting;
    private long nextAttemptAt;
    private int failures;
    private int disposed;

    /// <summary>A connection to the server of <paramref name="options"/>; it connects on first use (or <see cref="ConnectAsync"/>).</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is bad; the message names it.</exception>
    public RedisConnection(RedisOptions options, ILogger<RedisConnection>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(RedisOptions.Section, typeof(RedisOptions), problems);
        }

        this.options = options;
        (host, port) = options.ParseEndpoint();
        this.logger = logger ?? NullLogger<RedisConnection>.Instance;
        slots = new SemaphoreSlim(options.MaxPendingCommands, options.MaxPendingCommands);
    }

    /// <summary>The server, as configured (host:port).</summary>
    public string Endpoint => options.Endpoint;

    /// <summary>True while a connection is open (it may still drop at any moment).</summary>
    public bool IsConnected => Volatile.Read(ref session) is { IsClosed: false };

    /// <summary>Connects now (otherwise the first command does), e.g. to fail fast at start-up.</summary>
    /// <exception cref="RedisConnectionException">The server cannot be reached or refused AUTH/SELECT.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken) => GetSessionAsync(cancellationToken);

    /// <summary>Sends <paramref name="command"/> (name first, e.g. <c>"SET", key, value</c>) with the configured command timeout.</summary>
    public Task<RedisReply> ExecuteAsync(params RedisArg[] command) => ExecuteAsync(command, options.CommandTimeout, CancellationToken.None);

    /// <inheritdoc cref="ExecuteAsync(RedisArg[], TimeSpan, CancellationToken)"/>
    public Task<RedisReply> ExecuteAsync(RedisArg[] command, CancellationToken cancellationToken) =>
        ExecuteAsync(command, options.CommandTimeout, cancellationToken);

    /// <summary>
    /// Sends <paramref name="command"/> and returns its reply. <paramref name="timeout"/> bounds the whole
    /// call (waiting for a slot, connecting, the reply). Canceling stops the wait only: a command already
    /// sent still runs, and its reply is dropped.
    /// </summary>
    /// <exception cref="RedisErrorException">The server answered with an error; the connection stays usable.</exception>
    /// <exception cref="RedisConnectionException">The connection could not be made or was lost; the command may or may not have run.</exception>
    /// <exception cref="RedisProtocolException">The server sent a malformed reply; the connection is closed.</exception>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>; if it had been sent, the connection is closed.</exception>
    public async Task<RedisReply> ExecuteAsync(RedisArg[] command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (command.Length == 0)
        {
            throw new ArgumentException("A command needs at least its name.", nameof(command));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var started = Stopwatch.GetTimestamp();
        if (!await slots.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException(
                $"Redis command {PendingCommand.NameOf(command)} waited {timeout} for one of {options.MaxPendingCommands} pending-command slots to {Endpoint}.");
        }

        PendingCommand pending;
        RedisSession current;
        try
        {
            current = await GetSessionAsync(cancellationToken).WaitAsync(Remaining(started, timeout), cancellationToken).ConfigureAwait(false);
            pending = new PendingCommand(command, slots);
        }
        catch (TimeoutException exception)
        {
            slots.Release();
            throw new TimeoutException(
                $"Redis command {PendingCommand.NameOf(command)} could not be sent within {timeout}: connecting to {Endpoint} took longer.", exception);
        }
        catch
        {
            slots.Release();
            throw;
        }

        if (!current.TrySend(pending))
        {
            // Closed between GetSessionAsync and now; not sent, so the next command's reconnect is the retry.
            pending.Fail(new RedisConnectionException($"The connection to Redis at {Endpoint} closed before {pending.Name} was sent."));
        }

        try
        {
            return await pending.Task.WaitAsync(Remaining(started, timeout), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException exception)
        {
            if (pending.Task.IsCompleted)
            {
                return await pending.Task.ConfigureAwait(false); // the reply won the race against the timer
            }

            // Replies are matched to commands only by their order. A reply that is late (or never comes)
            // would hold up — or, if skipped, shift — every reply behind it, so the connection is closed:
            // the commands behind it fail now with RedisConnectionException, and the next one reconnects.
            var error = new TimeoutException(
                $"Redis command {pending.Name} got no reply from {Endpoint} within {timeout}; the connection is closed and will be reopened.",
                exception);
            current.Close(new RedisConnectionException(
                $"The connection to Redis at {Endpoint} was closed because command {pending.Name} got no reply within {timeout}.", error));
            throw error;
        }
    }

    /// <summary>Closes the connection; queued and in-flight commands fail with <see cref="RedisConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await disposing.CancelAsync().ConfigureAwait(false);
        RedisSession? current;
        lock (gate)
        {
            current = session;
        }

        if (current is not null)
        {
            current.Close(new RedisConnectionException($"The connection to Redis at {Endpoint} was disposed."));
            await current.Completion.ConfigureAwait(false);
        }
    }

    private static TimeSpan Remaining(long started, TimeSpan timeout)
    {
        var left = timeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1);
    }

    /// <summary>The open session, or the one connection attempt every caller shares.</summary>
    private Task<RedisSession> GetSessionAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref session);
        if (current is { IsClosed: false })
        {
            return Task.FromResult(current);
        }

        Task<RedisSession> attempt;
        lock (gate)
        {
            if (session is { IsClosed: false } open)
            {
                return Task.FromResult(open);
            }

            ObjectDisposedException.ThrowIf(disposed != 0, this);
            if (connecting is null || connecting.IsCompleted)
            {
                connecting = ConnectWithBackoffAsync();
            }

            attempt = connecting;
        }

        return attempt.WaitAsync(cancellationToken);
    }

    private async Task<RedisSession> ConnectWithBackoffAsync()
    {
        // Not in a hot loop: after a failed attempt or a dropped connection, wait before trying again.
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref nextAttemptAt));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, disposing.Token).ConfigureAwait(false);
        }

        try
        {
            var opened = await RedisSession.ConnectAsync(options, host, port, disposing.Token).ConfigureAwait(false);
            failures = 0;
            lock (gate)
            {
                if (disposed != 0)
                {
                    // Disposed while connecting: DisposeAsync did not see this session, so close it here.
                    opened.Close(new RedisConnectionException($"The connection to Redis at {Endpoint} was disposed."));
                    throw new ObjectDisposedException(nameof(RedisConnection));
                }

                session = opened;
            }

            LogConnected(logger, Endpoint, options.Database);
            _ = opened.Closed.ContinueWith(closed => OnClosed(closed.Result), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return opened;
        }
        catch (Exception exception) when (exception is not (OperationCanceledException or ObjectDisposedException))
        {
            failures++;
            var backoff = Backoff(failures);
            Volatile.Write(ref nextAttemptAt, Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency));
            LogConnectFailed(logger, Endpoint, failures, backoff, exception.Message);
            throw;
        }
    }

    private void OnClosed(Exception reason)
    {
        Volatile.Write(ref nextAttemptAt, Stopwatch.GetTimestamp() + (long)(MinBackoff.TotalSeconds * Stopwatch.Frequency));
        if (Volatile.Read(ref disposed) != 0)
        {
            LogClosed(logger, Endpoint);
        }
        else
        {
            LogDisconnected(logger, Endpoint, reason.Message);
        }
    }

    private static TimeSpan Backoff(int failure)
    {
        var ticks = MinBackoff.Ticks * Math.Pow(2, Math.Min(failure - 1, 30));
        return ticks >= MaxBackoff.Ticks ? MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to Redis at {Endpoint}, database {Database}")]
    private static partial void LogConnected(ILogger logger, string endpoint, int database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connecting to Redis at {Endpoint} failed (attempt {Failures} in a row); next attempt in {Backoff} at the earliest: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, int failures, TimeSpan backoff, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to Redis at {Endpoint}; the next command reconnects: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the connection to Redis at {Endpoint}")]
    private static partial void LogClosed(ILogger logger, string endpoint);
}
