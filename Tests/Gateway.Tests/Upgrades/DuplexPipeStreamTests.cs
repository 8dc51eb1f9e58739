using System.IO.Pipelines;
using ChatCluster.Gateway.Upgrades;

namespace ChatCluster.Gateway.Tests.Upgrades;

/// <summary>The stream a WebSocket taken on the connection reads and writes through.</summary>
public sealed class DuplexPipeStreamTests
{
    private readonly Pipe fromClient = new();
    private readonly Pipe toClient = new();

    private DuplexPipeStream Stream() => new(new TestDuplexPipe(fromClient.Reader, toClient.Writer));

    [Fact(Timeout = 10_000)]
    public async Task A_zero_byte_read_waits_for_data_and_takes_none_of_it()
    {
        using var stream = Stream();
        var waiting = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        await fromClient.Writer.WriteAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(0, await waiting);

        var buffer = new byte[8];
        Assert.Equal(3, await stream.ReadAsync(buffer));
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer[..3]);
    }

    [Fact(Timeout = 10_000)]
    public async Task A_read_takes_at_most_the_buffer_and_leaves_the_rest()
    {
        using var stream = Stream();
        await fromClient.Writer.WriteAsync(new byte[] { 1, 2, 3, 4, 5 });

        var buffer = new byte[2];
        Assert.Equal(2, await stream.ReadAsync(buffer));
        Assert.Equal(new byte[] { 1, 2 }, buffer);
        Assert.Equal(2, await stream.ReadAsync(buffer));
        Assert.Equal(new byte[] { 3, 4 }, buffer);
        Assert.Equal(1, await stream.ReadAsync(buffer));
        Assert.Equal(5, buffer[0]);
    }

    [Fact(Timeout = 10_000)]
    public async Task The_end_of_the_input_reads_as_zero()
    {
        using var stream = Stream();
        await fromClient.Writer.CompleteAsync();
        Assert.Equal(0, await stream.ReadAsync(new byte[8]));
    }

    [Fact(Timeout = 10_000)]
    public async Task Writes_reach_the_output_at_once()
    {
        using var stream = Stream();
        await stream.WriteAsync(new byte[] { 7, 8 });

        var read = await toClient.Reader.ReadAsync();
        Assert.Equal(new byte[] { 7, 8 }, System.Buffers.BuffersExtensions.ToArray(read.Buffer));
    }

    [Fact(Timeout = 10_000)]
    public async Task Disposing_ends_a_pending_read_and_leaves_the_pipes_to_their_owner()
    {
        var stream = Stream();
        var pending = stream.ReadAsync(new byte[8]).AsTask();
        await Task.Delay(50);

        await stream.DisposeAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => _ = await stream.ReadAsync(new byte[8]));
        // Not completed by the stream: the connection that owns the pipes completes them.
        var flushed = await fromClient.Writer.WriteAsync(new byte[] { 1 });
        Assert.False(flushed.IsCompleted, "the stream completed the connection's input");
    }
}
