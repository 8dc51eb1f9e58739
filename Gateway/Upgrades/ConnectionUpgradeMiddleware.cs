using System.IO.Pipelines;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Endpoints;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Gateway.Upgrades;

/// <summary>
/// A Kestrel connection middleware that accepts a WebSocket upgrade to <c>/ws</c> on the TCP connection itself, before
/// Kestrel's HTTP layer. Why: Kestrel keeps an upgraded request's HTTP/1.1 state (the connection's parser, the request
/// and response headers, the <c>HttpContext</c>, the request's pipes and timers: about 7 KB) for as long as the
/// WebSocket lives, which is most of what an idle connection costs. Taken here, a connection holds its socket, the
/// WebSocket and the gateway's own state.
/// <para>
/// Only an upgrade whose whole head came in the connection's first read (<see cref="UpgradeRequest"/>) and whose token
/// is valid is taken. Everything else goes on to Kestrel unchanged, the bytes unread: other paths, requests after the
/// first on a keep-alive connection, TLS, heads that come in pieces, and every refusal (400, 401), which
/// <see cref="WebSocketEndpoint"/> answers as before.
/// </para>
/// </summary>
public sealed class ConnectionUpgradeMiddleware
{
    private readonly ConnectionDelegate next;
    private readonly WebSocketEndpoint endpoint;
    private readonly TokenService tokens;
    private readonly TimeSpan firstRequestTimeout;

    public ConnectionUpgradeMiddleware(ConnectionDelegate next, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        this.next = next;
        endpoint = services.GetRequiredService<WebSocketEndpoint>();
        tokens = services.GetRequiredService<TokenService>();
        // As long as Kestrel gives a new connection to send its first request.
        firstRequestTimeout = services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.KeepAliveTimeout;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // A method of its own, so that what the handshake needed is not kept for the connection's life.
        var userId = await TryAcceptAsync(connection).ConfigureAwait(false);
        if (userId is null)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        try
        {
            await endpoint.ServeAsync(userId, new DuplexPipeStream(connection.Transport)).ConfigureAwait(false);
        }
        finally
        {
            await connection.Transport.Input.CompleteAsync().ConfigureAwait(false);
            await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the connection's first bytes; for an upgrade this middleware takes, consumes its head, answers 101 and
    /// returns the user id. Otherwise returns null with nothing consumed, or aborts a connection that sent nothing in
    /// time (as Kestrel would have).
    /// </summary>
    private async Task<string?> TryAcceptAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        ReadResult first;
        using (var timeout = new CancellationTokenSource(firstRequestTimeout))
        {
            try
            {
                first = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                connection.Abort(new ConnectionAbortedException("no request came within the keep-alive timeout"));
                return null;
            }
        }

        var buffer = first.Buffer;
        var request = first.IsCanceled ? null : UpgradeRequest.TryParse(buffer);
        var userId = request is null ? null : await tokens.ValidateAsync(request.Token).ConfigureAwait(false);
        if (request is null || userId is null)
        {
            // Nothing consumed and nothing examined, so Kestrel's first read returns these same bytes at once.
            input.AdvanceTo(buffer.Start, buffer.Start);
            return null;
        }

        input.AdvanceTo(buffer.GetPosition(request.HeadLength));
        await connection.Transport.Output.WriteAsync(request.SwitchingProtocols()).ConfigureAwait(false);
        return userId;
    }
}
