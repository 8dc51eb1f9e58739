using System.Text.Json;

namespace ChatCluster.Runtime.Streams;

/// <summary>
/// The one JSON format of stream payloads: what <see cref="StreamPublisher"/> writes is what the
/// consumers read, so both sides must use these options.
/// </summary>
internal static class StreamJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}
