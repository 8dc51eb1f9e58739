using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace ChatCluster.Streams;

/// <summary>The metrics of the stream adapters, on the meter <c>ChatCluster.Streams</c>.</summary>
public static class StreamMetrics
{
    /// <summary>The meter's name, for exporters and listeners.</summary>
    public const string MeterName = "ChatCluster.Streams";

    /// <summary>The counter of records a reader could not decode and set aside (tags: <c>provider</c>, <c>queue</c>).</summary>
    public const string DeadLettersName = "chatcluster_stream_dead_letters_total";

    /// <summary>The counter of records a reader never got because the log no longer held them when it came to them (tags: <c>provider</c>, <c>queue</c>).</summary>
    public const string LostName = "chatcluster_stream_records_lost_total";

    /// <summary>The meter of the stream adapters (process-wide: every silo of the process counts on it).</summary>
    public static Meter Meter { get; } = new(MeterName);

    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        DeadLettersName, unit: "{record}", description: "Log records a reader provider could not decode, moved to the dead letters and skipped.");

    private static readonly Counter<long> Lost = Meter.CreateCounter<long>(
        LostName, unit: "{record}", description: "Log records a reader provider never got: the log had deleted them (retention) before the reader came to them.");

    internal static void RecordsLost(string provider, int queue, long count)
    {
        var tags = new TagList
        {
            { "provider", provider },
            { "queue", queue.ToString(CultureInfo.InvariantCulture) },
        };
        Lost.Add(count, tags);
    }

    internal static void DeadLettered(string provider, int queue)
    {
        var tags = new TagList
        {
            { "provider", provider },
            { "queue", queue.ToString(CultureInfo.InvariantCulture) },
        };
        DeadLetters.Add(1, tags);
    }
}
