using System.Text;
using System.Text.Json;
using ChatCluster.Runtime.Streams;

namespace ChatCluster.Runtime;

/// <summary>
/// An event a handler group gave up on, as stored in the group's dead-letter stream: namespace
/// <c>deadletter.{group}</c> (see <see cref="NamespaceOf"/>), key = the original stream id
/// (<c>namespace/key</c>). Handle these with
/// <c>AddStreamHandler&lt;THandler, DeadLetteredEvent&gt;(DeadLetteredEvent.NamespaceOf(group), ...)</c>
/// to alert, inspect or re-publish.
/// </summary>
/// <param name="Stream">The original stream id, <c>namespace/key</c>.</param>
/// <param name="Partition">The original partition.</param>
/// <param name="Position">The original position in that partition, as <see cref="StreamPosition.ToString"/> writes it.</param>
/// <param name="Group">The handler group that gave up.</param>
/// <param name="Error">Why: the handler's last exception, or why the payload could not be deserialized.</param>
/// <param name="Attempts">How many times the handler was called with the event (0 if it could not be deserialized).</param>
/// <param name="Payload">The original event: its JSON as published; when it was not JSON, a string (see <paramref name="PayloadFormat"/>).</param>
/// <param name="PayloadFormat"><c>json</c>; <c>text</c> (not JSON, but UTF-8 text); or <c>base64</c> (not text).</param>
public sealed record DeadLetteredEvent(
    string Stream, int Partition, string Position, string Group, string Error, int Attempts, JsonElement Payload, string PayloadFormat)
{
    /// <summary>The dead-letter namespace of a handler group: <c>deadletter.{group}</c>.</summary>
    public static string NamespaceOf(string handlerGroup)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(handlerGroup);
        return $"deadletter.{handlerGroup}";
    }

    /// <summary>The dead letter of <paramref name="original"/>, keeping its payload losslessly.</summary>
    internal static DeadLetteredEvent Of(StoredStreamEvent original, int partition, string group, string error, int attempts)
    {
        var (payload, format) = Keep(original.Payload);
        return new DeadLetteredEvent(original.Stream.ToString(), partition, original.Position.ToString(), group, error, attempts, payload, format);
    }

    internal byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, StreamJson.Options);

    private static (JsonElement Payload, string Format) Keep(ReadOnlyMemory<byte> payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return (document.RootElement.Clone(), "json");
        }
        catch (JsonException)
        {
            // Not JSON: keep it as a string, exactly.
        }

        try
        {
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(payload.Span);
            return (JsonSerializer.SerializeToElement(text), "text");
        }
        catch (DecoderFallbackException)
        {
            return (JsonSerializer.SerializeToElement(Convert.ToBase64String(payload.Span)), "base64");
        }
    }
}
