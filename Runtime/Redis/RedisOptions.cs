using System.Globalization;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Redis;

/// <summary>Settings of the Redis client: configuration section <c>ChatCluster:Redis</c>.</summary>
public sealed class RedisOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Redis";

    /// <summary>The port Redis listens on when <see cref="Endpoint"/> names none.</summary>
    public const int DefaultPort = 6379;

    /// <summary>The server: <c>host:port</c> (<c>127.0.0.1:6379</c>, <c>redis:6380</c>, <c>[::1]:6379</c>) or just a host (port 6379).</summary>
    public string Endpoint { get; set; } = "127.0.0.1:6379";

    /// <summary>Sent with AUTH after connecting when set. Never logged nor put in an exception message.</summary>
    public string? Password { get; set; }

    /// <summary>The database to SELECT after connecting (0 is Redis's default and needs no SELECT).</summary>
    public int Database { get; set; }

    /// <summary>How long a command may wait for its reply; a command that times out closes the connection (replies are ordered).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long connecting (TCP, AUTH, SELECT) may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Commands queued or awaiting their reply on one connection at most; more callers wait for a slot.</summary>
    public int MaxPendingCommands { get; set; } = 10_000;

    /// <summary>Reads and checks the section <see cref="Section"/> of <paramref name="configuration"/>, then <paramref name="configure"/>.</summary>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static RedisOptions Read(IConfiguration? configuration, Action<RedisOptions>? configure = null) =>
        CheckedSettings.Read(configuration, Section, configure, o => o.Validate());

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!TryParseEndpoint(Endpoint, out _, out _))
        {
            yield return $"{Section}:{nameof(Endpoint)} is \"{Endpoint}\"; it must be host:port or a host (e.g. \"127.0.0.1:6379\").";
        }

        if (Database < 0)
        {
            yield return $"{Section}:{nameof(Database)} is {Database}; it must be 0 or more.";
        }

        foreach (var (name, value) in new[] { (nameof(CommandTimeout), CommandTimeout), (nameof(ConnectTimeout), ConnectTimeout) })
        {
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromDays(1))
            {
                yield return $"{Section}:{name} is {value}; it must be between 00:00:00.001 and 1.00:00:00 (e.g. \"00:00:05\").";
            }
        }

        if (MaxPendingCommands < 1)
        {
            yield return $"{Section}:{nameof(MaxPendingCommands)} is {MaxPendingCommands}; it must be at least 1.";
        }
    }

    /// <summary>The host and port of <see cref="Endpoint"/>.</summary>
    /// <exception cref="OptionsValidationException"><see cref="Endpoint"/> is not host:port.</exception>
    public (string Host, int Port) ParseEndpoint() => TryParseEndpoint(Endpoint, out var host, out var port)
        ? (host, port)
        : throw new OptionsValidationException(Section, typeof(RedisOptions), Validate().Take(1));

    /// <summary>Names the server only: the password stays out of logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Redis at {Endpoint}, database {Database}{(Password is null ? string.Empty : ", with a password")}");

    private static bool TryParseEndpoint(string? endpoint, out string host, out int port)
    {
        host = string.Empty;
        port = DefaultPort;
        if (string.IsNullOrWhiteSpace(endpoint) || endpoint.Trim() != endpoint)
        {
            return false;
        }

        var portText = (string?)null;
        if (endpoint.StartsWith('['))
        {
            var close = endpoint.IndexOf(']', StringComparison.Ordinal);
            if (close < 2)
            {
                return false;
            }

            host = endpoint[1..close];
            var rest = endpoint[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                portText = rest[1..];
            }
        }
        else
        {
            var colon = endpoint.LastIndexOf(':');
            if (colon >= 0 && endpoint.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false; // an IPv6 address needs brackets to carry a port
            }

            host = colon < 0 ? endpoint : endpoint[..colon];
            portText = colon < 0 ? null : endpoint[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            return false;
        }

        return portText is null
            || (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535);
    }
}
