using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Streams;
using ChatCluster.Grains.Timelines;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Tests.Examples.Mentions;

/// <summary>
/// Reads one partition of the timeline log through the <see cref="Reader"/> reader (its own consumer group, so it
/// never holds back persistence or push) and tells each mentioned user's counter. One activation per partition
/// (key "0", "1", …), created by Orleans for the implicit subscription; <see cref="TimelinePartitionConsumer"/> subscribes it.
/// </summary>
[ImplicitStreamSubscription(Namespace)]
public sealed partial class MentionScannerGrain(ILogger<MentionScannerGrain> logger) : TimelinePartitionConsumer(logger), IMentionScannerGrain
{
    /// <summary>The reader provider of this consumer group.</summary>
    public const string Reader = "mentions";

    /// <summary>The namespace its reader delivers on.</summary>
    public const string Namespace = "timeline-mentions";

    /// <summary>The log reader to register beside the chat's own (see docs/writing-grains.md).</summary>
    public static Streams.LogReader LogReader { get; } = new(Reader, TimelineStreams.Namespace, Namespace);

    public override async Task OnNextAsync(IList<SequentialItem<TimelineEvent>> items)
    {
        var counts = new List<Task>();
        foreach (var message in items.Select(i => i.Item.Message))
        {
            foreach (var user in Mentioned(message))
            {
                counts.Add(GrainFactory.GetGrain<IMentionCounterGrain>(user.Key).Add(message.Timeline, message.Seq, user.Count()));
            }
        }

        await Task.WhenAll(counts); // a failure makes Orleans deliver the batch again; the counters ignore what they counted
    }

    private static IEnumerable<IGrouping<string, string>> Mentioned(ChatMessage message)
    {
        // A direct message sits in both users' timelines: count it from the recipient's copy only, which is in its
        // timeline's partition (the sender's copy travels in the same record), so the counter sees its seqs in order.
        if (message.Kind != MessageKind.User || (message.Timeline.StartsWith("user:", StringComparison.Ordinal) && message.Timeline != message.To))
        {
            return [];
        }

        using var body = JsonDocument.Parse(message.Body);
        var text = body.RootElement.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
        return MentionPattern().Matches(text).Select(m => m.Groups[1].Value).Where(ChatIds.IsValid).GroupBy(u => u, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9_.-])@([A-Za-z0-9_.-]{1,64})")]
    private static partial Regex MentionPattern();
}
