using System.Buffers;
using System.Net.WebSockets;

namespace ChatCluster.Gateway.Connections;

/// <summary>One client message in a pooled buffer; disposing it returns the buffer.</summary>
public sealed class ReceivedFrame : IDisposable
{
    private byte[]? buffer;
    private readonly int count;

    internal ReceivedFrame(byte[] buffer, int count, WebSocketMessageType type, bool tooLarge)
    {
        this.buffer = buffer;
        this.count = count;
        Type = type;
        TooLarge = tooLarge;
    }

    public WebSocketMessageType Type { get; }

    /// <summary>The message was longer than the frame limit; only its start was read, the rest is still on the socket.</summary>
    public bool TooLarge { get; }

    /// <summary>The message's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Bytes => (buffer ?? throw new ObjectDisposedException(nameof(ReceivedFrame))).AsSpan(0, count);

    public void Dispose()
    {
        if (buffer is { } b)
        {
            buffer = null;
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
