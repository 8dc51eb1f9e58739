using Orleans.Serialization;

namespace ChatCluster.Streams;

/// <summary>
/// Turns published events into a record's payload and back, with the silo's Orleans serializer, so
/// that any type a grain can send can be published.
/// </summary>
internal sealed class LogRecordCodec(Serializer serializer)
{
    /// <summary>The record body of a publish: its events and request context.</summary>
    public static LogRecordBody Body<T>(IEnumerable<T> events, Dictionary<string, object>? requestContext)
    {
        ArgumentNullException.ThrowIfNull(events);
        var body = new LogRecordBody { RequestContext = requestContext is { Count: > 0 } ? requestContext : null };
        foreach (var item in events)
        {
            body.Events.Add(item ?? throw new ArgumentException("A published event cannot be null.", nameof(events)));
        }

        return body;
    }

    public byte[] Encode(LogRecordBody body) => serializer.SerializeToArray(body);

    /// <exception cref="Exception">The payload is not a record this codec wrote (the caller dead-letters it).</exception>
    public LogRecordBody Decode(byte[] payload)
    {
        var body = serializer.Deserialize<LogRecordBody>(payload)
            ?? throw new InvalidDataException("The record's payload decoded to null.");
        if (body.Events is null || body.Events.Count == 0)
        {
            throw new InvalidDataException("The record carries no events.");
        }

        return body;
    }
}
