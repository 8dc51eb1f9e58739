using System.Text.Json;

namespace ChatCluster.Client.Messages;

/// <summary>One item of the <c>timelines</c> reply: a timeline, its last seq, and the caller's read cursor.</summary>
public sealed record TimelineState(string Timeline, long LastSeq, long ReadSeq)
{
    /// <summary>Messages after the read cursor.</summary>
    public long Unread => Math.Max(0, LastSeq - ReadSeq);

    internal static IReadOnlyList<TimelineState> ListFromJson(JsonElement json) =>
    [
        .. json.GetProperty("items").EnumerateArray().Select(item => new TimelineState(
            item.GetProperty("timeline").GetString()!, item.GetProperty("lastSeq").GetInt64(), item.GetProperty("readSeq").GetInt64())),
    ];
}
