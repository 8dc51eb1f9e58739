using System.Buffers;
using System.Buffers.Text;

namespace ChatCluster.Runtime.Redis;

/// <summary>Writes a command the way clients send every command in RESP2: an array of bulk strings.</summary>
internal static class RespWriter
{
    /// <summary>The largest frame header: a type byte, a 20-character signed decimal and CRLF.</summary>
    private const int MaxHeader = 1 + 20 + 2;

    public static void WriteCommand(IBufferWriter<byte> writer, IReadOnlyList<RedisArg> command)
    {
        WriteHeader(writer, (byte)'*', command.Count);
        foreach (var argument in command)
        {
            var length = argument.ByteCount;
            WriteHeader(writer, (byte)'$', length);
            var span = writer.GetSpan(length + 2);
            argument.CopyTo(span);
            span[length] = (byte)'\r';
            span[length + 1] = (byte)'\n';
            writer.Advance(length + 2);
        }
    }

    private static void WriteHeader(IBufferWriter<byte> writer, byte type, long value)
    {
        var span = writer.GetSpan(MaxHeader);
        span[0] = type;
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        writer.Advance(3 + written);
    }
}
