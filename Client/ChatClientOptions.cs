namespace ChatCluster.Client;

/// <summary>Where and how a <see cref="ChatClient"/> connects. Only <see cref="ServerUri"/> and <see cref="TokenProvider"/> are required.</summary>
public sealed class ChatClientOptions
{
    /// <summary>The gateway's WebSocket endpoint, e.g. <c>ws://127.0.0.1:5000/ws</c>.</summary>
    public required Uri ServerUri { get; init; }

    /// <summary>Gives a bearer token; asked again before every reconnect, so it may renew an expiring token.</summary>
    public required Func<CancellationToken, ValueTask<string>> TokenProvider { get; init; }

    /// <summary>How long a request other than <c>send</c> may take, reconnects included. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a <c>send</c> keeps being retried (same clientMsgId) before it fails. Default 2 minutes.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The first wait before a reconnect or a resend; it doubles (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long opening a connection may take before it is tried again. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>WebSocket-level keep-alive of the client side. Default 20 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Optional HTTP invoker for the WebSocket upgrade, e.g. a <see cref="System.Net.Http.SocketsHttpHandler"/> whose
    /// <c>ConnectCallback</c> binds a source address. The client does not dispose it.
    /// </summary>
    public HttpMessageInvoker? HttpInvoker { get; init; }
}
