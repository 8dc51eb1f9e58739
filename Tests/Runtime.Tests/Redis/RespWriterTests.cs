using System.Buffers;
using System.Text;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Tests.Redis;

public sealed class RespWriterTests
{
    [Fact]
    public void Writes_a_command_as_an_array_of_bulk_strings()
    {
        var buffer = new ArrayBufferWriter<byte>();

        RespWriter.WriteCommand(buffer, ["SET", "clé", new byte[] { 0, 13, 10 }, -42L, 7, ReadOnlyMemory<byte>.Empty]);

        Assert.Equal("*6\r\n$3\r\nSET\r\n$4\r\nclé\r\n$3\r\n\0\r\n\r\n$3\r\n-42\r\n$1\r\n7\r\n$0\r\n\r\n", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
