using System.Globalization;

namespace ChatCluster.Runtime.Storage;

/// <summary>The SQL and memory providers' etags: the record's version number as text.</summary>
internal static class Etag
{
    public static string Format(long version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The version an etag stands for; null for no record; -1 for text no provider wrote (never matches).</summary>
    public static long? Parse(string? etag) =>
        etag is null ? null : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
}
