using System.Buffers;
using System.Net.WebSockets;

namespace ChatCluster.Gateway.Connections;

/// <summary>
/// Reads client messages without holding a buffer while the connection is idle: the caller waits with a
/// zero-byte receive (which also lets the socket answer pings and notice pongs), and only when a
/// message has started does this rent a small pooled buffer, doubling it as needed up to one byte more
/// than the frame limit (so a message of exactly the limit fits and a larger one shows).
/// </summary>
public sealed class FrameReader(int maxFrameBytes)
{
    /// <summary>The first buffer rented for a message: most client frames are far smaller.</summary>
    private const int InitialBufferBytes = 1024;

    private readonly int capacity = maxFrameBytes + 1;

    /// <summary>
    /// Reads the message that <paramref name="first"/>, the result of a zero-byte receive, announced, or as
    /// much of it as the limit allows. Null when it is the client's close frame. The caller must
    /// <see cref="ReceivedFrame.Dispose"/> the result.
    /// </summary>
    public async ValueTask<ReceivedFrame?> ReadAsync(WebSocket socket, ValueWebSocketReceiveResult first)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, capacity));
        var count = 0;
        var result = first;
        try
        {
            while (!result.EndOfMessage && count < capacity)
            {
                if (count == buffer.Length)
                {
                    buffer = Grow(buffer, count);
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, capacity) - count), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }

                count += result.Count;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new ReceivedFrame(buffer, count, first.MessageType, tooLarge: count > maxFrameBytes);
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, capacity));
        buffer.AsSpan(0, count).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
