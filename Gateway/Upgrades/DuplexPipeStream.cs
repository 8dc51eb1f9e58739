using System.Buffers;
using System.IO.Pipelines;

namespace ChatCluster.Gateway.Upgrades;

/// <summary>
/// A connection's pipes as the <see cref="Stream"/> that <see cref="System.Net.WebSockets.WebSocket.CreateFromStream(Stream, System.Net.WebSockets.WebSocketCreationOptions)"/>
/// needs. The pipes stay the connection's: disposing the stream (as an aborted WebSocket does) only ends a pending read
/// or flush, and whoever owns the connection completes the pipes when the WebSocket is done. Asynchronous use only.
/// </summary>
public sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
{
    private volatile bool disposed;

    public override bool CanRead => !disposed;

    public override bool CanWrite => !disposed;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Copies what has arrived, up to <paramref name="buffer"/>'s length; 0 at the end of the input, or at once for an empty buffer when data is there.</summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var result = await pipe.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
        var arrived = result.Buffer;
        if (result.IsCanceled)
        {
            pipe.Input.AdvanceTo(arrived.Start);
            throw new OperationCanceledException("the stream was disposed while reading");
        }

        var count = (int)Math.Min(arrived.Length, buffer.Length);
        arrived.Slice(0, count).CopyTo(buffer.Span);
        pipe.Input.AdvanceTo(arrived.GetPosition(count));
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var flushed = await pipe.Output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException("the stream was disposed while writing");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await pipe.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing to do: every write is flushed.</summary>
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("asynchronous reads only");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("asynchronous writes only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !disposed)
        {
            disposed = true;
            pipe.Input.CancelPendingRead();
            pipe.Output.CancelPendingFlush();
        }

        base.Dispose(disposing);
    }
}
