using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>
/// A WebSocket peer on a bare TCP socket: it does the RFC 6455 upgrade by hand, byte for byte as a test
/// wants it, and never answers a PING, as a client that vanished without closing its socket.
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
        var peer = await SendHeadAsync(port, [Encoding.ASCII.GetBytes(UpgradeHead(port, token))], TimeSpan.Zero);
        if (!peer.Head.StartsWith("HTTP/1.1 101", StringComparison.Ordinal))
        {
            peer.Dispose();
            throw new InvalidOperationException($"the upgrade was refused: {peer.Head}");
        }

        return peer;
    }

    /// <summary>A plain upgrade request for <c>/ws</c> with the token in the query.</summary>
    public static string UpgradeHead(int port, string token) =>
        $"GET /ws?access_token={Uri.EscapeDataString(token)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n";

    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/>, sends <paramref name="pieces"/> one write each with
    /// <paramref name="pause"/> between them, and reads the response head (<see cref="Head"/>), whatever its status.
    /// </summary>
    public static async Task<RawWebSocketPeer> SendHeadAsync(int port, IReadOnlyList<byte[]> pieces, TimeSpan pause)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10) + (pause * pieces.Count));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            for (var i = 0; i < pieces.Count; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(pause, timeout.Token);
                }

                await socket.SendAsync(pieces[i], SocketFlags.None, timeout.Token);
            }

            // Read only up to the end of the response head; anything after it is already WebSocket frames (or a body).
            var received = new List<byte>();
            var chunk = new byte[1024];
            int headEnd;
            while ((headEnd = IndexOfHeadEnd(received)) < 0)
            {
                var n = await socket.ReceiveAsync(chunk, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    throw new InvalidOperationException("the server closed the socket before its response head ended");
                }

                received.AddRange(chunk.AsSpan(0, n));
            }

            var head = Encoding.ASCII.GetString(received.GetRange(0, headEnd).ToArray());
            return new RawWebSocketPeer(socket, received.GetRange(headEnd + 4, received.Count - headEnd - 4)) { Head = head };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The server's response head, without its blank line.</summary>
    public string Head { get; private init; } = "";

    /// <summary>A masked text frame, as a client must send it.</summary>
    public static byte[] TextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        if (payload.Length > 125)
        {
            throw new ArgumentException("only short frames", nameof(text));
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81; // FIN, text
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }

    public async Task SendTextAsync(string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.SendAsync(TextFrame(text), SocketFlags.None, timeout.Token);
    }

    /// <summary>The payload of the server's next frame, which must be a short unfragmented text frame (no PINGs come within the tests' keep-alive).</summary>
    public async Task<string> ReadTextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var chunk = new byte[4096];
        while (pending.Count < 2 || pending.Count < 2 + FrameLength())
        {
            var n = await socket.ReceiveAsync(chunk, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                throw new InvalidOperationException("the server closed the connection");
            }

            pending.AddRange(chunk.AsSpan(0, n));
        }

        if (pending[0] != 0x81)
        {
            throw new InvalidOperationException($"expected a final text frame, got first byte 0x{pending[0]:x2}");
        }

        var length = FrameLength();
        var text = Encoding.UTF8.GetString(pending.GetRange(2, length).ToArray());
        pending.RemoveRange(0, 2 + length);
        return text;
    }

    private int FrameLength() => (pending[1] & 0x7F) < 126 ? pending[1] & 0x7F : throw new InvalidOperationException("only short frames");

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
