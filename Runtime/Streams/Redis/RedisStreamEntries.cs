using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>How an event is stored in a stream entry (fields <c>k</c> = stream key, <c>p</c> = payload) and read back from replies.</summary>
internal static class RedisStreamEntries
{
    public const string KeyField = "k";
    public const string PayloadField = "p";

    /// <summary>The stream key given to an entry without a <see cref="KeyField"/> (not written by this provider).</summary>
    public const string UnknownKey = "(unknown)";

    /// <summary>
    /// The entries of an XREADGROUP reply on one stream (empty for a null reply), in order. An entry that was
    /// deleted while pending comes back without fields: its event is null, but its id is still to be acknowledged.
    /// </summary>
    public static List<(string Id, StoredStreamEvent? Event)> ParseRead(RedisReply reply, string streamNamespace)
    {
        var entries = new List<(string, StoredStreamEvent?)>();
        if (reply.IsNull)
        {
            return entries;
        }

        foreach (var stream in reply.AsArray())
        {
            foreach (var entry in stream.AsArray()[1].AsArray())
            {
                var parts = entry.AsArray();
                var id = parts[0].AsString()!;
                entries.Add((id, parts[1].IsNull ? null : ToEvent(id, parts[1].AsArray(), streamNamespace)));
            }
        }

        return entries;
    }

    private static StoredStreamEvent ToEvent(string id, IReadOnlyList<RedisReply> fields, string streamNamespace)
    {
        string? key = null;
        ReadOnlyMemory<byte> payload = default;
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            switch (fields[i].AsString())
            {
                case KeyField:
                    key = fields[i + 1].AsString();
                    break;
                case PayloadField:
                    payload = fields[i + 1].AsBytes();
                    break;
            }
        }

        // An entry another writer added without these fields is still delivered (not a stalled partition):
        // its empty payload cannot be deserialized, so the consumer dead-letters it.
        return new StoredStreamEvent(new StreamId(streamNamespace, string.IsNullOrEmpty(key) ? UnknownKey : key), RedisEntryIds.Parse(id), payload);
    }
}
