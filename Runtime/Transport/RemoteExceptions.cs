using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ChatCluster.Runtime.Storage;

namespace ChatCluster.Runtime.Transport;

/// <summary>
/// Carries an exception over the wire as its type name and message (payload: <c>i32 type length</c>,
/// the type's full name, then the message, in UTF-8), and rebuilds it on the caller: as the same type
/// when it is one the runtime knows, else as <see cref="RemoteGrainException"/>.
/// </summary>
internal static class RemoteExceptions
{
    private static readonly Dictionary<string, Func<string, Exception>> Known = new()
    {
        [typeof(GrainCallTimeoutException).FullName!] = m => new GrainCallTimeoutException(m),
        [typeof(SiloUnavailableException).FullName!] = m => new SiloUnavailableException(m),
        [typeof(InconsistentStateException).FullName!] = m => new InconsistentStateException(m),
        [typeof(StorageUnavailableException).FullName!] = m => new StorageUnavailableException(m),
        [typeof(ArgumentException).FullName!] = m => new ArgumentException(m),
        [typeof(ArgumentNullException).FullName!] = m => new ArgumentNullException(null, m),
        [typeof(ArgumentOutOfRangeException).FullName!] = m => new ArgumentOutOfRangeException(null, m),
        [typeof(InvalidOperationException).FullName!] = m => new InvalidOperationException(m),
        [typeof(NotSupportedException).FullName!] = m => new NotSupportedException(m),
        [typeof(NotImplementedException).FullName!] = m => new NotImplementedException(m),
        [typeof(KeyNotFoundException).FullName!] = m => new KeyNotFoundException(m),
        [typeof(FormatException).FullName!] = m => new FormatException(m),
        [typeof(TimeoutException).FullName!] = m => new TimeoutException(m),
        [typeof(OperationCanceledException).FullName!] = m => new OperationCanceledException(m),
        [typeof(TaskCanceledException).FullName!] = m => new TaskCanceledException(m),
        [typeof(UnauthorizedAccessException).FullName!] = m => new UnauthorizedAccessException(m),
    };

    public static void Write(IBufferWriter<byte> output, Exception exception)
    {
        var type = exception.GetType().FullName ?? exception.GetType().Name;
        var typeBytes = Encoding.UTF8.GetByteCount(type);
        var span = output.GetSpan(4 + typeBytes);
        BinaryPrimitives.WriteInt32LittleEndian(span, typeBytes);
        Encoding.UTF8.GetBytes(type, span[4..]);
        output.Advance(4 + typeBytes);
        var message = exception.Message;
        var messageSpan = output.GetSpan(Encoding.UTF8.GetMaxByteCount(message.Length));
        output.Advance(Encoding.UTF8.GetBytes(message, messageSpan));
    }

    /// <summary>Rebuilds the exception from an error payload; a payload that cannot be read becomes a <see cref="RemoteGrainException"/> saying so.</summary>
    public static Exception Read(in ReadOnlySequence<byte> payload)
    {
        var bytes = payload.ToArray();
        if (bytes.Length < 4 || BinaryPrimitives.ReadInt32LittleEndian(bytes) is var typeBytes && (typeBytes < 0 || typeBytes > bytes.Length - 4))
        {
            return new RemoteGrainException("(unknown)", "The remote silo sent an error response that could not be read.", null);
        }

        var type = Encoding.UTF8.GetString(bytes, 4, typeBytes);
        var message = Encoding.UTF8.GetString(bytes, 4 + typeBytes, bytes.Length - 4 - typeBytes);
        return Rebuild(type, message);
    }

    public static Exception Rebuild(string type, string message) =>
        Known.TryGetValue(type, out var create) ? create(message) : new RemoteGrainException(type, message, null);
}
