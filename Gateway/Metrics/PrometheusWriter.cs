using System.Globalization;
using System.Text;

namespace ChatCluster.Gateway.Metrics;

/// <summary>Renders collected series in the Prometheus text exposition format, version 0.0.4.</summary>
public static class PrometheusWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IReadOnlyList<MetricsCollector.Series> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var text = new StringBuilder();
        foreach (var s in series)
        {
            var name = s.Instrument.Name;
            if (!string.IsNullOrEmpty(s.Instrument.Description))
            {
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(s.Instrument.Description)).Append('\n');
            }

            text.Append("# TYPE ").Append(name).Append(' ').Append(s.Kind).Append('\n');
            if (s.Kind == "histogram")
            {
                WriteHistogram(text, name, s);
                continue;
            }

            var values = s.Values.OrderBy(v => v.Key, StringComparer.Ordinal).ToList();
            if (values.Count == 0 && s.Kind == "gauge")
            {
                // An unlabelled gauge is 0 before anything moved it, not absent.
                text.Append(name).Append(" 0\n");
            }

            foreach (var (label, value) in values)
            {
                text.Append(name);
                if (s.LabelNames.Count > 0 && label.Length > 0)
                {
                    var labelValues = label.Split(MetricsCollector.Series.Separator);
                    text.Append('{');
                    for (var i = 0; i < s.LabelNames.Count && i < labelValues.Length; i++)
                    {
                        text.Append(i > 0 ? "," : "").Append(s.LabelNames[i]).Append("=\"").Append(EscapeLabel(labelValues[i])).Append('"');
                    }

                    text.Append('}');
                }

                text.Append(' ').Append(Number(value)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Label values escape backslash, double quote and line feed (the format's rule).</summary>
    public static string EscapeLabel(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
    }

    private static void WriteHistogram(StringBuilder text, string name, MetricsCollector.Series s)
    {
        var (cumulative, sum, count) = s.Histogram();
        for (var i = 0; i < cumulative.Length; i++)
        {
            var bound = i < s.Buckets.Count ? Number(s.Buckets[i]) : "+Inf";
            text.Append(name).Append("_bucket{le=\"").Append(bound).Append("\"} ").Append(cumulative[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        text.Append(name).Append("_sum ").Append(Number(sum)).Append('\n');
        text.Append(name).Append("_count ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    // HELP text escapes only backslash and line feed.
    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
