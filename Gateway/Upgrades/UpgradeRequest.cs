using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ChatCluster.Gateway.Auth;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace ChatCluster.Gateway.Upgrades;

/// <summary>
/// A WebSocket upgrade to <c>/ws</c> (RFC 6455, section 4.2.1) read from the first bytes of a connection, in its plainest
/// form only: <c>GET /ws[?query] HTTP/1.1</c>, the whole head present, printable ASCII, each header that matters given
/// once, no body. <see cref="TryParse"/> returns null for anything else, and Kestrel's HTTP layer then reads the same
/// bytes and answers them as it always does: what is not recognised here is never refused here.
/// </summary>
public sealed class UpgradeRequest
{
    /// <summary>The most bytes looked at: a head longer than this goes to Kestrel, which has the limits for it.</summary>
    public const int MaxHeadBytes = 8 * 1024;

    /// <summary>RFC 6455's fixed suffix of the key in <c>Sec-WebSocket-Accept</c>.</summary>
    private const string AcceptSuffix = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private UpgradeRequest(int headLength, string key, string? token)
    {
        HeadLength = headLength;
        Key = key;
        Token = token;
    }

    /// <summary>Bytes of the head, the blank line that ends it included; WebSocket frames may follow them.</summary>
    public int HeadLength { get; }

    /// <summary>The client's <c>Sec-WebSocket-Key</c>: 16 random bytes in base64.</summary>
    public string Key { get; }

    /// <summary>The bearer token, found as <see cref="BearerToken"/> finds it in a request; null when there is none.</summary>
    public string? Token { get; }

    /// <summary>The <c>101 Switching Protocols</c> response that accepts this upgrade.</summary>
    public byte[] SwitchingProtocols()
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        // SHA-1 is what RFC 6455 prescribes for the accept value; it protects nothing here.
#pragma warning disable CA5350
        SHA1.HashData(Encoding.ASCII.GetBytes(Key + AcceptSuffix), hash);
#pragma warning restore CA5350
        return Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "
            + Convert.ToBase64String(hash) + "\r\n\r\n");
    }

    /// <summary>The upgrade at the start of <paramref name="bytes"/>, or null when they do not begin with a whole one.</summary>
    public static UpgradeRequest? TryParse(ReadOnlySequence<byte> bytes)
    {
        var looked = bytes.Length > MaxHeadBytes ? bytes.Slice(0, MaxHeadBytes) : bytes;
        ReadOnlySpan<byte> span = looked.IsSingleSegment ? looked.FirstSpan : looked.ToArray();
        if (!span.StartsWith("GET /ws"u8))
        {
            return null;
        }

        var end = span.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return null;
        }

        var head = span[..(end + 2)]; // every line with its CRLF
        foreach (var b in head)
        {
            if (b is (< 0x20 and not (byte)'\r' and not (byte)'\n' and not (byte)'\t') or >= 0x7F)
            {
                return null;
            }
        }

        var lines = Encoding.ASCII.GetString(head).Split("\r\n");
        var target = RequestTarget(lines[0]);
        if (target is null)
        {
            return null;
        }

        var headers = new Headers();
        for (var i = 1; i < lines.Length - 1; i++)
        {
            if (!headers.Add(lines[i]))
            {
                return null;
            }
        }

        if (!headers.IsPlainUpgrade)
        {
            return null;
        }

        var query = QueryHelpers.ParseQuery(target[3..]); // after "/ws": empty or "?..."
        query.TryGetValue(BearerToken.QueryParameter, out var accessToken);
        var token = BearerToken.From(accessToken, headers.Authorization is { } authorization ? new StringValues(authorization) : StringValues.Empty);
        return new UpgradeRequest(end + 4, headers.Key!, token);
    }

    /// <summary>The target of <c>GET /ws[?query] HTTP/1.1</c>, or null for any other request line.</summary>
    private static string? RequestTarget(string line)
    {
        var parts = line.Split(' ');
        if (parts is not ["GET", var target, "HTTP/1.1"] || target.Contains('\r', StringComparison.Ordinal) || target.Contains('\n', StringComparison.Ordinal) || target.Contains('#', StringComparison.Ordinal))
        {
            return null;
        }

        return target == "/ws" || target.StartsWith("/ws?", StringComparison.Ordinal) ? target : null;
    }

    /// <summary>The headers an upgrade needs, each allowed once.</summary>
    private sealed class Headers
    {
        private bool hasHost;
        private string? upgrade;
        private string? connection;
        private string? version;
        private string? key;
        private string? authorization;

        public string? Key => key;

        public string? Authorization => authorization;

        public bool IsPlainUpgrade =>
            hasHost
            && string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            && connection is not null && connection.Split(',').Any(t => t.Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase))
            && version == "13"
            && key is { Length: 24 } && Convert.TryFromBase64String(key, new byte[18], out var keyBytes) && keyBytes == 16;

        /// <summary>
        /// False for a line Kestrel might read otherwise (folded, a bad name, a stray CR or LF), a header given twice, or
        /// a body: the request is then left to Kestrel.
        /// </summary>
        public bool Add(string line)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.Contains('\r', StringComparison.Ordinal) || line.Contains('\n', StringComparison.Ordinal) || !IsToken(line.AsSpan(0, colon)))
            {
                return false;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            return name.ToUpperInvariant() switch
            {
                "HOST" => Once(ref hasHost),
                "CONTENT-LENGTH" or "TRANSFER-ENCODING" => false,
                "UPGRADE" => Once(ref upgrade, value),
                "CONNECTION" => Once(ref connection, value),
                "SEC-WEBSOCKET-VERSION" => Once(ref version, value),
                "SEC-WEBSOCKET-KEY" => Once(ref key, value),
                "AUTHORIZATION" => Once(ref authorization, value),
                _ => true,
            };
        }

        private static bool Once(ref bool seen)
        {
            if (seen)
            {
                return false;
            }

            seen = true;
            return true;
        }

        private static bool Once(ref string? field, string value)
        {
            if (field is not null)
            {
                return false;
            }

            field = value;
            return true;
        }

        private static bool IsToken(ReadOnlySpan<char> name)
        {
            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
