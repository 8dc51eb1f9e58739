using System.Text;

namespace ChatCluster.Gateway.Auth;

/// <summary>Configuration section <c>ChatCluster:Gateway</c>: tokens, frame limits, per-connection queues, send rates and timeouts.</summary>
public sealed class GatewayOptions
{
    public const string Section = "ChatCluster:Gateway";

    /// <summary>The smallest HS256 key accepted, in bytes: shorter keys can be brute-forced.</summary>
    public const int MinSigningKeyBytes = 32;

    /// <summary>
    /// The HS256 key (a secret: give it by environment, never log it), as UTF-8 text of at least
    /// 32 bytes. Empty with <see cref="DevTokens"/> on: a random key per process.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The <c>iss</c> of issued tokens, and the only issuer accepted.</summary>
    public string Issuer { get; set; } = "chatcluster";

    /// <summary>How long a token from <c>POST /api/dev/token</c> is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Enables <c>POST /api/dev/token</c>, which hands a token to anyone: development and embedded mode only.</summary>
    public bool DevTokens { get; set; }

    /// <summary>Largest client frame in bytes; a larger one closes the connection with 1009.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>Largest <c>send</c> body in bytes; a larger one is refused with <c>too_large</c>.</summary>
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Frames queued per connection; a connection whose queue is full is closed with 1008 (slow consumer).</summary>
    public int OutboundQueue { get; set; } = 1024;

    /// <summary>
    /// How long a pushed message waits on a connection for a lower <c>seq</c> of its timeline that has not come yet, so
    /// that the connection gets the timeline's messages in order (see <see cref="ChatCluster.Gateway.Push.PushOrder"/>); a seq missing for
    /// longer is given up, and the client syncs over the gap.
    /// </summary>
    public TimeSpan PushOrderWindow { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Frames of one connection handled at once. Replies are sent as they complete (clients match them by
    /// <c>id</c>); at the limit the connection is read no further until one completes.
    /// </summary>
    public int MaxFramesInFlight { get; set; } = 32;

    /// <summary>
    /// Sustained <c>send</c> rate per user id, shared by that user's connections to this gateway process. It bounds what
    /// one account can take, not what people type: 200 a second is about 1.5 % of what one embedded silo acks on two
    /// cores (13,000-16,000 a second), and lets a busy bot through. At 50, 200 bots were capped at 10,000 a second
    /// between them, below the silo's rate.
    /// </summary>
    public int SendsPerSecond { get; set; } = 200;

    /// <summary>Sends a user may make at once above <see cref="SendsPerSecond"/>: the token bucket's size.</summary>
    public int SendBurst { get; set; } = 400;

    /// <summary>Rate-limited frames within <see cref="AbuseWindow"/> after which a connection is closed with 1008.</summary>
    public int AbuseThreshold { get; set; } = 200;

    /// <summary>The window in which <see cref="AbuseThreshold"/> rate-limited frames count as abuse.</summary>
    public TimeSpan AbuseWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the server sends a WebSocket PING control frame on each connection. Clients answer
    /// it by themselves (browsers do; a .NET <c>ClientWebSocket</c> does while a receive is pending),
    /// so it keeps proxies and NATs from dropping a quiet socket and finds peers that are gone (see
    /// <see cref="IdleTimeout"/>). Zero turns pings off, and with them the detection of dead peers.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the server waits for the PONG that answers its PING before it aborts the connection
    /// (no close frame: the peer is not reading). A client that answers pings is never closed for
    /// being quiet, however long it sends no frame. Unused when <see cref="KeepAliveInterval"/> is zero.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Accepts <c>/ws</c> upgrades on the TCP connection, before Kestrel's HTTP layer
    /// (<see cref="Upgrades.ConnectionUpgradeMiddleware"/>), so that an open WebSocket does not keep Kestrel's HTTP/1.1
    /// request state: about 7 KB less per connection. What it does not take (refusals, other paths, TLS) goes through
    /// Kestrel as before, and so does everything when this is false. It is set as Kestrel's endpoint defaults
    /// (<c>KestrelServerOptions.ConfigureEndpointDefaults</c>, which replaces defaults set before it), and Kestrel's
    /// <c>MaxConcurrentUpgradedConnections</c> does not count the connections it takes.
    /// </summary>
    public bool UpgradeOnConnection { get; set; } = true;

    public IEnumerable<string> Validate()
    {
        var keyBytes = string.IsNullOrEmpty(SigningKey) ? 0 : Encoding.UTF8.GetByteCount(SigningKey);
        if (keyBytes == 0 && !DevTokens)
        {
            yield return $"{Section}:SigningKey is required (at least {MinSigningKeyBytes} bytes) unless {Section}:DevTokens is true "
                + "(e.g. CHATCLUSTER__GATEWAY__SIGNINGKEY=\"<random secret>\").";
        }
        else if (keyBytes is > 0 and < MinSigningKeyBytes)
        {
            yield return $"{Section}:SigningKey is {keyBytes} bytes; it must be at least {MinSigningKeyBytes}.";
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            yield return $"{Section}:Issuer is empty; it must name the token issuer (default chatcluster).";
        }

        if (TokenLifetime <= TimeSpan.Zero)
        {
            yield return $"{Section}:TokenLifetime is {TokenLifetime}; it must be positive (default 01:00:00).";
        }

        if (MaxFrameBytes < 1024)
        {
            yield return $"{Section}:MaxFrameBytes is {MaxFrameBytes}; it must be at least 1024 (default 65536).";
        }

        if (MaxBodyBytes < 2 || MaxBodyBytes > MaxFrameBytes)
        {
            yield return $"{Section}:MaxBodyBytes is {MaxBodyBytes}; it must be from 2 to MaxFrameBytes ({MaxFrameBytes}) (default 16384).";
        }

        if (OutboundQueue < 1)
        {
            yield return $"{Section}:OutboundQueue is {OutboundQueue}; it must be at least 1 (default 1024).";
        }

        if (PushOrderWindow < TimeSpan.FromMilliseconds(1) || PushOrderWindow > TimeSpan.FromSeconds(10))
        {
            yield return $"{Section}:PushOrderWindow is {PushOrderWindow}; it must be from 00:00:00.001 to 00:00:10 (default 00:00:00.25).";
        }

        if (MaxFramesInFlight is < 1 or > 1024)
        {
            yield return $"{Section}:MaxFramesInFlight is {MaxFramesInFlight}; it must be from 1 to 1024 (default 32).";
        }

        foreach (var error in ValidateLimits())
        {
            yield return error;
        }
    }

    private IEnumerable<string> ValidateLimits()
    {
        if (SendsPerSecond < 1)
        {
            yield return $"{Section}:SendsPerSecond is {SendsPerSecond}; it must be at least 1 (default 200).";
        }

        if (SendBurst < 1)
        {
            yield return $"{Section}:SendBurst is {SendBurst}; it must be at least 1 (default 400).";
        }

        if (AbuseThreshold < 1)
        {
            yield return $"{Section}:AbuseThreshold is {AbuseThreshold}; it must be at least 1 (default 200).";
        }

        if (AbuseWindow <= TimeSpan.Zero)
        {
            yield return $"{Section}:AbuseWindow is {AbuseWindow}; it must be positive (default 00:00:10).";
        }

        if (KeepAliveInterval < TimeSpan.Zero)
        {
            yield return $"{Section}:KeepAliveInterval is {KeepAliveInterval}; it must be zero (off) or positive (default 00:00:30).";
        }

        if (IdleTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:IdleTimeout is {IdleTimeout}; it must be positive: the time a peer has to answer a keep-alive ping (default 00:02:00).";
        }
    }
}
