using System.Data.Common;

namespace ChatCluster.Grains.Persistence;

/// <summary>
/// Turns rows of the <c>messages</c> table into <see cref="ChatMessage"/>s, the same way for every
/// store. Every query selects <see cref="Columns"/> in this order. A row that does not fit the
/// contract (a kind this build does not know, a NULL, a value of the wrong type) is reported as an
/// <see cref="InvalidDataException"/> naming its timeline and seq, so the operator can find it,
/// instead of surfacing later as a cast error or a wrong message.
/// </summary>
internal static class MessageRows
{
    public const string Columns = "timeline, seq, msg_id, from_user, to_timeline, client_msg_id, kind, body, ts";

    public static async Task<List<ChatMessage>> ReadAllAsync(DbDataReader reader, string timeline, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            messages.Add(Read(reader, timeline));
        }

        return messages;
    }

    /// <param name="reader">Positioned on a row.</param>
    /// <param name="queriedTimeline">The timeline the query asked for; named if the row's own is unreadable.</param>
    private static ChatMessage Read(DbDataReader reader, string queriedTimeline)
    {
        var timeline = queriedTimeline;
        long seq;
        try
        {
            timeline = Text(reader, 0);
            seq = Integer(reader, 1);
        }
        catch (InvalidDataException inner)
        {
            throw new InvalidDataException($"A stored message of timeline '{timeline}' has an unreadable timeline or seq: {inner.Message}", inner);
        }

        try
        {
            var kind = Integer(reader, 6);
            if (kind is < int.MinValue or > int.MaxValue || !Enum.IsDefined((MessageKind)kind))
            {
                throw new InvalidDataException($"kind {kind} is not a known message kind");
            }

            return new ChatMessage(
                timeline,
                seq,
                MsgId: Text(reader, 2),
                From: Text(reader, 3),
                To: Text(reader, 4),
                ClientMsgId: Text(reader, 5),
                Kind: (MessageKind)kind,
                Body: Text(reader, 7),
                Ts: Integer(reader, 8));
        }
        catch (InvalidDataException inner)
        {
            throw new InvalidDataException($"The stored message ({timeline}, seq {seq}) is invalid: {inner.Message}", inner);
        }
    }

    /// <summary>The column's value; checks the stored type, since SQLite keeps whatever type was written.</summary>
    private static string Text(DbDataReader reader, int ordinal)
    {
        var type = reader.GetFieldType(ordinal);
        if (reader.IsDBNull(ordinal) || type != typeof(string))
        {
            throw BadValue(reader, ordinal, "text");
        }

        return reader.GetString(ordinal);
    }

    private static long Integer(DbDataReader reader, int ordinal)
    {
        var type = reader.GetFieldType(ordinal);
        if (reader.IsDBNull(ordinal) || (type != typeof(long) && type != typeof(int) && type != typeof(short)))
        {
            throw BadValue(reader, ordinal, "an integer");
        }

        return reader.GetInt64(ordinal);
    }

    private static InvalidDataException BadValue(DbDataReader reader, int ordinal, string expected)
    {
        var found = reader.IsDBNull(ordinal) ? "NULL" : $"a value of type {reader.GetFieldType(ordinal).Name}";
        return new InvalidDataException($"column {reader.GetName(ordinal)} holds {found}, expected {expected}");
    }
}
