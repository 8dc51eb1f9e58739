using ChatCluster.Grains;

namespace ChatCluster.Bench.Backlog;

/// <summary>The backlog's timeline events, as <c>UserGrain</c> builds them for direct messages.</summary>
internal static class BacklogEvents
{
    private const string Body = """{"text":"a message from the backlog bench, about the size of a short chat line"}""";

    /// <summary>The timeline of user <paramref name="t"/>.</summary>
    public static string Timeline(int t) => $"user:bl{t}";

    /// <summary>
    /// Message <paramref name="k"/>: a direct message's copy in timeline <c>user:blT</c> (T = k mod
    /// <paramref name="timelines"/>, seq k / timelines + 1). Odd seqs are the owner's own sends to the next user, with the
    /// sending connection as origin and as the owner's one connected device (push skips it); even ones a message from
    /// the previous user while the owner was offline (no devices). So push, when it reads them, delivers nothing.
    /// </summary>
    public static TimelineEvent Of(int k, int timelines, long ts)
    {
        var t = k % timelines;
        var seq = (long)(k / timelines) + 1;
        var timeline = Timeline(t);
        var msgId = Guid.CreateVersion7().ToString("N")[..26].ToUpperInvariant(); // a ULID's length
        var clientMsgId = $"c{k}";
        if (seq % 2 == 1)
        {
            var origin = new Session("bench-gateway", $"conn-{t}");
            return new TimelineEvent(
                new ChatMessage(timeline, seq, msgId, $"bl{t}", Timeline((t + 1) % timelines), clientMsgId, MessageKind.User, Body, ts + k / 1000), origin, [origin]);
        }

        return new TimelineEvent(
            new ChatMessage(timeline, seq, msgId, $"bl{(t + timelines - 1) % timelines}", timeline, clientMsgId, MessageKind.User, Body, ts + k / 1000), null, []);
    }
}
