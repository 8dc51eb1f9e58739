using System.Net;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// The way to one peer silo: its persistent connection, opened on first use and again on the next
/// use after it is lost. After a failed attempt, further attempts wait a back-off (100 ms doubling
/// to 5 s) and calls in that window fail at once with <see cref="SiloUnavailableException"/>.
/// A call that cannot be sent because the peer cannot be reached goes to <c>undelivered</c> (the runtime routes it again).
/// A connection whose peer is going away takes no new calls: the next call opens a new connection (which a
/// stopping peer refuses, so the call is routed again).
/// </summary>
internal sealed class RemotePeer(
    IPEndPoint endpoint,
    Func<IPEndPoint, Task<TransportConnection>> connect,
    Action<GrainId, IRemotableCall, SiloUnavailableException> undelivered)
{
    private const long MaxBackoffMilliseconds = 5_000;

    private readonly object gate = new();
    private TransportConnection? connection;

    // Connections replaced while their peer drained them; kept until they close, so a stopping silo drains them too.
    private readonly List<TransportConnection> draining = [];
    private Task<TransportConnection>? connecting;
    private int failures;
    private long retryAt;

    public IPEndPoint EndPoint { get; } = endpoint;

    /// <summary>The open connection, if there is one now.</summary>
    public TransportConnection? Current => connection is { IsOpen: true } open ? open : null;

    /// <summary>Every open connection to the peer: the current one and those still draining.</summary>
    public IReadOnlyList<TransportConnection> Connections
    {
        get
        {
            lock (gate)
            {
                draining.RemoveAll(old => !old.IsOpen);
                return [.. draining.Append(connection).OfType<TransportConnection>().Where(c => c.IsOpen).Distinct()];
            }
        }
    }

    public void Send(GrainId target, IRemotableCall call)
    {
        if (Volatile.Read(ref connection) is { AcceptsCalls: true } open)
        {
            open.Send(target, call);
        }
        else
        {
            _ = SendWhenConnectedAsync(target, call);
        }
    }

    public Task<TransportConnection> GetConnectionAsync()
    {
        lock (gate)
        {
            if (connection is { AcceptsCalls: true } open)
            {
                return Task.FromResult(open);
            }

            if (connecting is not null)
            {
                return connecting;
            }

            var wait = retryAt - Environment.TickCount64;
            if (wait > 0)
            {
                return Task.FromException<TransportConnection>(new SiloUnavailableException(
                    $"Silo {EndPoint} could not be reached on the last attempt; the next attempt is in {wait} ms. Retry the call later or elsewhere."));
            }

            var attempt = ConnectAsync();
            connecting = attempt.IsCompleted ? null : attempt;
            return attempt;
        }
    }

    private async Task SendWhenConnectedAsync(GrainId target, IRemotableCall call)
    {
        try
        {
            var open = await GetConnectionAsync().ConfigureAwait(false);
            open.Send(target, call);
        }
        catch (SiloUnavailableException ex)
        {
            undelivered(target, call, ex);
        }
    }

    private async Task<TransportConnection> ConnectAsync()
    {
        try
        {
            var opened = await connect(EndPoint).ConfigureAwait(false);
            lock (gate)
            {
                if (connection is { IsOpen: true } replaced)
                {
                    draining.Add(replaced);
                }

                Volatile.Write(ref connection, opened);
                connecting = null;
                failures = 0;
                retryAt = 0;
            }

            return opened;
        }
        catch (Exception ex) when (ex is not SiloUnavailableException)
        {
            lock (gate)
            {
                connecting = null;
                failures++;
                retryAt = Environment.TickCount64 + Math.Min(100L << Math.Min(failures - 1, 10), MaxBackoffMilliseconds);
            }

            throw new SiloUnavailableException($"Could not connect to silo {EndPoint}: {ex.Message}", ex);
        }
    }
}
