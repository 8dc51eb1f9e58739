using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// One TCP connection to Redis for its whole life: a write loop that sends queued commands in order
/// (everything queued, then one flush) and a read loop that parses replies and hands each to the
/// oldest command still waiting (RESP2 answers in order). Once closed — by the server, a malformed
/// reply, a timeout or disposal — it fails every queued and in-flight command and is never reused.
/// </summary>
internal sealed class RedisSession
{
    /// <summary>Flush in the middle of a batch past this many buffered bytes, so big values do not pile up in memory.</summary>
    private const int FlushThreshold = 256 * 1024;

    private readonly Socket socket;
    private readonly PipeReader input;
    private readonly PipeWriter output;
    private readonly Channel<PendingCommand> outgoing =
        Channel.CreateUnbounded<PendingCommand>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentQueue<PendingCommand> awaiting = new();
    private readonly TaskCompletionSource<Exception> closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task readLoop = Task.CompletedTask;
    private Task writeLoop = Task.CompletedTask;
    private int closing;

    private RedisSession(Socket socket, string endpoint)
    {
        this.socket = socket;
        Endpoint = endpoint;
        var stream = new NetworkStream(socket, ownsSocket: false);
        input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
    }

    public string Endpoint { get; }

    public bool IsClosed => Volatile.Read(ref closing) != 0;

    /// <summary>Completes with the reason once the session is closed.</summary>
    public Task<Exception> Closed => closed.Task;

    /// <summary>Completes when both loops have ended (after <see cref="Close"/>).</summary>
    public Task Completion => Task.WhenAll(readLoop, writeLoop);

    /// <summary>Connects, starts the loops, then sends AUTH and SELECT as the options ask.</summary>
    /// <exception cref="RedisConnectionException">Connecting, AUTH or SELECT failed or took longer than the connect timeout.</exception>
    public static async Task<RedisSession> ConnectAsync(RedisOptions options, string host, int port, CancellationToken cancellationToken)
    {
        var endpoint = options.Endpoint;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RedisSession? session = null;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            session = new RedisSession(socket, endpoint);
            session.Start();
            if (options.Password is { } password)
            {
                await HandshakeAsync(session, ["AUTH", password], "refused the password (AUTH)", timeout.Token).ConfigureAwait(false);
            }

            if (options.Database != 0)
            {
                await HandshakeAsync(session, ["SELECT", options.Database], $"refused SELECT {options.Database}", timeout.Token).ConfigureAwait(false);
            }

            return session;
        }
        catch (Exception exception)
        {
            var error = exception switch
            {
                RedisConnectionException connection => connection,
                OperationCanceledException when !cancellationToken.IsCancellationRequested => new RedisConnectionException(
                    $"Connecting to Redis at {endpoint} took longer than the connect timeout ({options.ConnectTimeout}).", exception),
                OperationCanceledException => null,
                _ => new RedisConnectionException($"Could not connect to Redis at {endpoint}: {exception.Message}", exception),
            };
            if (session is null)
            {
                socket.Dispose();
            }
            else
            {
                session.Close(error ?? new RedisConnectionException($"Connecting to Redis at {endpoint} was canceled."));
            }

            if (error is null)
            {
                throw;
            }

            throw error;
        }
    }

    /// <summary>Queues a command; false when the session is closed (the command was not sent).</summary>
    public bool TrySend(PendingCommand command) => outgoing.Writer.TryWrite(command);

    /// <summary>Closes the socket and fails every queued and in-flight command because of <paramref name="reason"/>. Idempotent.</summary>
    public void Close(Exception reason)
    {
        if (Interlocked.Exchange(ref closing, 1) != 0)
        {
            return;
        }

        outgoing.Writer.TryComplete();
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer: nothing left to shut down.
        }

        socket.Dispose();
        closed.TrySetResult(reason);
        FailAll();
    }

    private static async Task HandshakeAsync(RedisSession session, RedisArg[] command, string refusal, CancellationToken cancellationToken)
    {
        var pending = new PendingCommand(command, slots: null);
        if (!session.TrySend(pending))
        {
            pending.Fail(session.Failure());
        }

        try
        {
            await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisErrorException error)
        {
            // The server's message (e.g. "WRONGPASS invalid username-password pair …") never repeats the password.
            throw new RedisConnectionException($"Redis at {session.Endpoint} {refusal}: {error.Message}", error);
        }
    }

    private void Start()
    {
        readLoop = Task.Run(ReadLoopAsync);
        writeLoop = Task.Run(WriteLoopAsync);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var reader = outgoing.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var command))
                {
                    // Queued for a reply before its bytes can leave (they leave at the flush), so a reply
                    // never arrives ahead of its command; after Close, FailAll may have run already.
                    awaiting.Enqueue(command);
                    if (IsClosed)
                    {
                        FailAll();
                        return;
                    }

                    RespWriter.WriteCommand(output, command.Command);
                    if (output.CanGetUnflushedBytes && output.UnflushedBytes > FlushThreshold
                        && (await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
                    {
                        return;
                    }
                }

                if ((await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception exception)
        {
            // Whatever went wrong, the commands must fail rather than wait for their timeouts.
            Close(new RedisConnectionException($"Writing to Redis at {Endpoint} failed: {exception.Message}", exception));
        }
        finally
        {
            await CompleteQuietlyAsync(output.CompleteAsync()).ConfigureAwait(false);
        }
    }

    // Completing a pipe flushes what is left to the socket, which Close may have disposed: that must not fault
    // the loop's task, which DisposeAsync of the connection awaits.
    private static async Task CompleteQuietlyAsync(ValueTask completing)
    {
        try
        {
            await completing.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var reader = new SequenceReader<byte>(buffer);
                while (RespParser.TryRead(ref reader, out var reply))
                {
                    consumed = reader.Position;
                    if (!awaiting.TryDequeue(out var command))
                    {
                        throw new RedisProtocolException(
                            $"Redis at {Endpoint} sent a reply no command was waiting for ({reply}); the connection is closed.");
                    }

                    command.Complete(reply);
                }

                // Everything was looked at: wake up again only when more bytes have arrived.
                input.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted)
                {
                    Close(new RedisConnectionException($"Redis at {Endpoint} closed the connection."));
                    return;
                }
            }
        }
        catch (RedisProtocolException exception)
        {
            Close(exception);
        }
        catch (Exception exception)
        {
            Close(new RedisConnectionException($"Reading from Redis at {Endpoint} failed: {exception.Message}", exception));
        }
        finally
        {
            await CompleteQuietlyAsync(input.CompleteAsync()).ConfigureAwait(false);
        }
    }

    private void FailAll()
    {
        while (awaiting.TryDequeue(out var command))
        {
            command.Fail(Failure());
        }

        while (outgoing.Reader.TryRead(out var command))
        {
            command.Fail(Failure());
        }
    }

    /// <summary>A fresh exception per failed command (a shared one would collect every awaiter's stack trace).</summary>
    private Exception Failure()
    {
        if (!closed.Task.IsCompleted)
        {
            return new RedisConnectionException($"The connection to Redis at {Endpoint} is closed.");
        }

        var reason = closed.Task.Result;
        return reason is RedisProtocolException
            ? new RedisProtocolException(reason.Message, reason)
            : new RedisConnectionException(reason.Message, reason);
    }
}
