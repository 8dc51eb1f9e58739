using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>
/// A WebSocket peer on a bare TCP socket: it does the RFC 6455 upgrade by hand and then does nothing,
/// in particular it never answers a PING, as a client that vanished without closing its socket.
/// </summary>
public sealed class RawWebSocketPeer : IDisposable
{
    public const int PingOpcode = 0x9;
    public const int CloseOpcode = 0x8;

    private readonly Socket socket;
    private readonly List<byte> pending;

    private RawWebSocketPeer(Socket socket, List<byte> pending)
    {
        this.socket = socket;
        this.pending = pending;
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and upgrades <c>/ws</c> with <paramref name="token"/>; throws unless the answer is 101.</summary>
    public static async Task<RawWebSocketPeer> UpgradeAsync(int port, string token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET /ws?access_token={Uri.EscapeDataString(token)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                + $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token);

            // Read only up to the end of the response head; anything after it is already WebSocket frames.
            var received = new List<byte>();
            var chunk = new byte[1024];
            int headEnd;
            while ((headEnd = IndexOfHeadEnd(received)) < 0)
            {
                var n = await socket.ReceiveAsync(chunk, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    throw new InvalidOperationException("the server closed the socket during the upgrade");
                }

                received.AddRange(chunk.AsSpan(0, n));
            }

            var head = Encoding.ASCII.GetString(received.GetRange(0, headEnd).ToArray());
            if (!head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the upgrade was refused: {head}");
            }

            return new RawWebSocketPeer(socket, received.GetRange(headEnd + 4, received.Count - headEnd - 4));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads everything the server sent until it ended the connection (end of stream or reset) and
    /// returns the opcodes of the server's frames, in order. Throws if the connection is still open after <paramref name="bound"/>.
    /// </summary>
    public async Task<IReadOnlyList<int>> ReadOpcodesToEndAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        var bytes = new List<byte>(pending);
        var chunk = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(chunk, SocketFlags.None, timeout.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                n = 0;
            }

            if (n == 0)
            {
                return Opcodes(bytes);
            }

            bytes.AddRange(chunk.AsSpan(0, n));
        }
    }

    public void Dispose() => socket.Dispose();

    /// <summary>Opcodes of the unmasked server frames in <paramref name="bytes"/> (a cut-off last frame counts too).</summary>
    private static List<int> Opcodes(List<byte> bytes)
    {
        var opcodes = new List<int>();
        var at = 0;
        while (at + 2 <= bytes.Count)
        {
            opcodes.Add(bytes[at] & 0x0F);
            long length = bytes[at + 1] & 0x7F;
            var header = 2;
            if (length == 126 && at + 4 <= bytes.Count)
            {
                length = (bytes[at + 2] << 8) | bytes[at + 3];
                header = 4;
            }
            else if (length == 127 && at + 10 <= bytes.Count)
            {
                length = 0;
                for (var i = 0; i < 8; i++)
                {
                    length = (length << 8) | bytes[at + 2 + i];
                }

                header = 10;
            }

            at += header + (int)Math.Min(length, int.MaxValue - at - header);
        }

        return opcodes;
    }

    private static int IndexOfHeadEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}
