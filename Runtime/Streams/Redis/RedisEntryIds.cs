using System.Globalization;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>Redis stream entry ids (<c>milliseconds-sequence</c>) to and from <see cref="StreamPosition"/> (High = milliseconds, Low = sequence).</summary>
internal static class RedisEntryIds
{
    /// <exception cref="FormatException"><paramref name="id"/> is not <c>ms-seq</c>.</exception>
    public static StreamPosition Parse(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return new StreamPosition(milliseconds, sequence);
        }

        throw new FormatException($"'{id}' is not a Redis stream entry id (milliseconds-sequence).");
    }

    /// <summary>The greatest position below <paramref name="position"/> (every entry id before it is at or below the result).</summary>
    public static StreamPosition Before(StreamPosition position) =>
        position.Low > 0 ? position with { Low = position.Low - 1 } : new StreamPosition(position.High - 1, long.MaxValue);

    public static string Format(StreamPosition position)
    {
        if (position.High < 0 || position.Low < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, "A Redis stream position is (milliseconds, sequence), both non-negative.");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{position.High}-{position.Low}");
    }
}
