using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// The silo's transport: listens for other silos and gateways on the configured endpoint and keeps
/// one persistent connection to each peer it calls, reopened on demand. It moves calls only; which
/// silo a call goes to is decided by the caller (placement).
/// </summary>
public sealed partial class SiloTransport : IAsyncDisposable
{
    private readonly ConcurrentDictionary<IPEndPoint, RemotePeer> peers = new();
    private readonly ConcurrentDictionary<TransportConnection, byte> accepted = new();
    private readonly ILogger logger;
    private GrainRuntime? runtime;
    private Socket? listener;
    private Task accepting = Task.CompletedTask;
    private long callTimeoutMilliseconds = 30_000;

    /// <summary>Creates the transport with checked <paramref name="options"/>; it listens from <see cref="StartAsync"/> on.</summary>
    public SiloTransport(TransportOptions options, ILogger<SiloTransport> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options;
        this.logger = logger;
    }

    /// <summary>The settings.</summary>
    public TransportOptions Options { get; }

    /// <summary>The endpoint the silo listens on (with the actual port when 0 was configured); null before start.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>
    /// Checks that the peer at <paramref name="endpoint"/> answers: connects if needed and sends a ping.
    /// True if the pong arrives within <paramref name="timeout"/>; false on any failure, never throws.
    /// </summary>
    public async Task<bool> ProbeAsync(IPEndPoint endpoint, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var started = Environment.TickCount64;
        try
        {
            var connection = await Peer(endpoint).GetConnectionAsync().WaitAsync(timeout).ConfigureAwait(false);
            var left = timeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            return left > TimeSpan.Zero && await connection.PingAsync(left).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Asks the silo at <paramref name="endpoint"/> to let go of <paramref name="grain"/> before it activates here;
    /// true if it answered within <paramref name="timeout"/>, false on any failure (never throws).
    /// </summary>
    internal async Task<bool> ReleaseAsync(IPEndPoint endpoint, GrainId grain, TimeSpan timeout)
    {
        var started = Environment.TickCount64;
        try
        {
            var connection = await Peer(endpoint).GetConnectionAsync().WaitAsync(timeout).ConfigureAwait(false);
            var left = timeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - started);
            return left > TimeSpan.Zero && await connection.ReleaseAsync(grain, left).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Binds the listener and starts accepting connections; calls that arrive run on <paramref name="grainRuntime"/>.</summary>
    internal Task StartAsync(GrainRuntime grainRuntime)
    {
        runtime = grainRuntime;
        callTimeoutMilliseconds = grainRuntime.CallTimeoutMilliseconds;
        var endpoint = new IPEndPoint(IPAddress.Parse(Options.ListenAddress), Options.Port);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted silo takes its port back while the old connections are in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"The transport could not listen on {endpoint} ({TransportOptions.Section}:{nameof(TransportOptions.ListenAddress)} and :{nameof(TransportOptions.Port)}): {ex.Message}", ex);
        }

        listener = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        accepting = AcceptLoopAsync(socket);
        LogListening(logger, LocalEndPoint);
        return Task.CompletedTask;
    }

    /// <summary>Sends <paramref name="call"/> to grain <paramref name="target"/> on the silo at <paramref name="endpoint"/>.</summary>
    internal void Send(IPEndPoint endpoint, GrainId target, IRemotableCall call) => Peer(endpoint).Send(target, call);

    /// <summary>The open connection to <paramref name="endpoint"/>, if any (tests).</summary>
    internal TransportConnection? ConnectionTo(IPEndPoint endpoint) => peers.TryGetValue(endpoint, out var peer) ? peer.Current : null;

    /// <summary>Connections other silos opened to this one (tests).</summary>
    internal IReadOnlyCollection<TransportConnection> AcceptedConnections => [.. accepted.Keys];

    /// <summary>Stops listening and closes every connection; their pending calls fail with <see cref="SiloUnavailableException"/>.</summary>
    public Task StopAsync() => StopAsync(TimeSpan.Zero);

    /// <summary>
    /// Stops listening, then drains every connection before it closes it: tells each peer to send no more requests
    /// (<see cref="TransportConnection.GoAway"/>) and waits, at most <paramref name="drainTimeout"/>, until every
    /// request either side sent has been answered. A graceful stop thus fails no call in flight.
    /// </summary>
    internal async Task StopAsync(TimeSpan drainTimeout)
    {
        var socket = Interlocked.Exchange(ref listener, null);
        socket?.Dispose();
        await accepting.ConfigureAwait(false);
        var drainUntil = Environment.TickCount64 + (long)drainTimeout.TotalMilliseconds;
        while (Environment.TickCount64 < drainUntil)
        {
            var open = Connections();
            foreach (var connection in open)
            {
                connection.GoAway();
            }

            if (open.All(connection => connection.IsDrained))
            {
                break;
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        foreach (var connection in Connections())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        accepted.Clear();
        peers.Clear();
    }

    private List<TransportConnection> Connections() =>
        [.. accepted.Keys.Concat(peers.Values.SelectMany(peer => peer.Connections))];

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private RemotePeer Peer(IPEndPoint endpoint) =>
        peers.TryGetValue(endpoint, out var peer) ? peer : peers.GetOrAdd(endpoint, e => new RemotePeer(e, ConnectAsync, (target, call, reason) => GrainRuntime.RetryUndelivered(runtime, target, call, reason)));

    private Task<TransportConnection> ConnectAsync(IPEndPoint endpoint) =>
        TransportConnection.ConnectAsync(endpoint, runtime, Options, callTimeoutMilliseconds, logger, CancellationToken.None);

    private async Task AcceptLoopAsync(Socket socket)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return; // Stopped.
            }

            client.NoDelay = true;
            var connection = new TransportConnection(client, client.RemoteEndPoint?.ToString() ?? "(unknown)", runtime, Options, callTimeoutMilliseconds, logger);
            accepted.TryAdd(connection, 0);
            _ = connection.Closed.ContinueWith(_ => accepted.TryRemove(connection, out byte _), TaskScheduler.Default);
            connection.Start();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transport listening on {EndPoint}")]
    private static partial void LogListening(ILogger logger, IPEndPoint endPoint);
}
