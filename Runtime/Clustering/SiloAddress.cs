using System.Globalization;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// One incarnation of a silo: where it listens (<see cref="Host"/>, <see cref="Port"/>) and its
/// <see cref="Epoch"/>, which tells a restarted or rejoined process apart from its dead predecessor on
/// the same endpoint. Written <c>host:port@epoch</c> (an IPv6 host in brackets: <c>[::1]:11111@42</c>).
/// </summary>
public sealed record SiloAddress
{
    private static long lastEpoch;

    /// <summary>An address; <paramref name="epoch"/> is usually <see cref="NewEpoch"/>.</summary>
    /// <exception cref="ArgumentException">The host is empty or has spaces, '@' or a bracket; the port or epoch is out of range.</exception>
    public SiloAddress(string host, int port, long epoch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (host.AsSpan().IndexOfAny("@[] \t") >= 0)
        {
            throw new ArgumentException($"A silo host must not contain '@', brackets or spaces; it is \"{host}\".", nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Host = host;
        Port = port;
        Epoch = epoch;
    }

    /// <summary>Orders addresses by host (ordinal), port, then epoch: the same order in every process.</summary>
    public static IComparer<SiloAddress> Order { get; } = Comparer<SiloAddress>.Create(static (a, b) =>
    {
        var byHost = string.CompareOrdinal(a.Host, b.Host);
        return byHost != 0 ? byHost : a.Port != b.Port ? a.Port.CompareTo(b.Port) : a.Epoch.CompareTo(b.Epoch);
    });

    public string Host { get; }

    public int Port { get; }

    /// <summary>The incarnation: milliseconds since the Unix epoch at start, made to grow strictly within a process.</summary>
    public long Epoch { get; }

    /// <summary><c>host:port</c>, without the epoch: what two incarnations of one silo share.</summary>
    public string Endpoint => Host.Contains(':', StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <summary>
    /// A new epoch: the current time in Unix milliseconds, or one more than the last epoch this
    /// process handed out when the clock has not moved on (or went back), so a rejoin always gets a larger one.
    /// </summary>
    public static long NewEpoch()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (true)
        {
            var last = Volatile.Read(ref lastEpoch);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref lastEpoch, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>Parses <c>host:port@epoch</c> as <see cref="ToString"/> writes it.</summary>
    /// <exception cref="FormatException">The text is not an address; the message says which part is wrong.</exception>
    public static SiloAddress Parse(string text) =>
        TryParse(text, out var address, out var problem) ? address : throw new FormatException(problem);

    /// <summary>Parses <c>host:port@epoch</c>; false for anything else.</summary>
    public static bool TryParse(string? text, out SiloAddress address) => TryParse(text, out address, out _);

    private static bool TryParse(string? text, out SiloAddress address, out string problem)
    {
        address = null!;
        problem = $"\"{text}\" is not a silo address: expected host:port@epoch, e.g. \"10.0.0.5:11111@1700000000000\"";
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var at = text.LastIndexOf('@');
        if (at < 0)
        {
            problem += " (no '@epoch').";
            return false;
        }

        if (!long.TryParse(text.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            problem += $" (the epoch \"{text[(at + 1)..]}\" is not a whole number of 0 or more).";
            return false;
        }

        var endpoint = text[..at];
        string host;
        string portText;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf("]:", StringComparison.Ordinal);
            if (close < 2)
            {
                problem += " (a bracketed IPv6 host must be followed by ]:port).";
                return false;
            }

            host = endpoint[1..close];
            portText = endpoint[(close + 2)..];
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon < 1 || endpoint.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                problem += " (expected one ':' between host and port; put an IPv6 host in brackets).";
                return false;
            }

            host = endpoint[..colon];
            portText = endpoint[(colon + 1)..];
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem += $" (the port \"{portText}\" is not between 1 and 65535).";
            return false;
        }

        if (host.AsSpan().IndexOfAny("@[] \t") >= 0)
        {
            problem += $" (the host \"{host}\" has '@', a bracket or a space).";
            return false;
        }

        address = new SiloAddress(host, port, epoch);
        return true;
    }

    /// <summary><c>host:port@epoch</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Endpoint}@{Epoch}");
}
