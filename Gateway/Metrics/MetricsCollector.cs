using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace ChatCluster.Gateway.Metrics;

/// <summary>
/// Listens to this host's meters (every <see cref="Meter"/> registered in its container: the gateway's, and those
/// the silo adds) and keeps running totals for <c>/metrics</c>: a sum per label value for counters and gauges,
/// buckets for histograms. Only those meter instances are followed, so other hosts in the same process are not mixed in.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> series = new();

    /// <param name="meters">This host's meters.</param>
    public MetricsCollector(IEnumerable<Meter> meters)
    {
        var followed = meters.ToHashSet();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (followed.Contains(instrument.Meter))
            {
                l.EnableMeasurementEvents(instrument, series.GetOrAdd(instrument, Series.For));
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Series)state!).Add(value, tags));
        listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Series)state!).Add(value, tags));
        listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Series)state!).Add(value, tags));
        listener.Start();
    }

    /// <summary>Polls the observable instruments, then the current series, ordered by name for stable output.</summary>
    public IReadOnlyList<Series> Collect()
    {
        foreach (var s in series.Values)
        {
            s.ResetGauge();
        }

        listener.RecordObservableInstruments();
        return [.. series.Values.OrderBy(s => s.Instrument.Name, StringComparer.Ordinal)];
    }

    public void Dispose() => listener.Dispose();

    /// <summary>
    /// One instrument's aggregate, a value per label set. A label set is keyed by its tag values (one tag: the value
    /// itself, so counting allocates nothing; several: joined by <see cref="Separator"/>).
    /// </summary>
    public sealed class Series
    {
        /// <summary>Joins the tag values of a series with several labels.</summary>
        public const char Separator = '\u001f';

        private readonly ConcurrentDictionary<string, StrongBox<double>> values = new(StringComparer.Ordinal);
        private readonly long[] bucketCounts;
        private readonly Lock histogramLock = new();
        private double sum;
        private long count;

        private Series(Instrument instrument, string kind, IReadOnlyList<double> buckets)
        {
            Instrument = instrument;
            Kind = kind;
            Buckets = buckets;
            bucketCounts = new long[buckets.Count + 1];
        }

        public Instrument Instrument { get; }

        /// <summary>The Prometheus type: counter, gauge or histogram.</summary>
        public string Kind { get; }

        public IReadOnlyList<double> Buckets { get; }

        /// <summary>The tag keys, in order; empty while no tagged measurement was seen.</summary>
        public IReadOnlyList<string> LabelNames { get; private set; } = [];

        public IEnumerable<KeyValuePair<string, double>> Values => values.Select(v => new KeyValuePair<string, double>(v.Key, Volatile.Read(ref v.Value.Value)));

        internal static Series For(Instrument instrument) => instrument switch
        {
            Histogram<double> h => new Series(instrument, "histogram", h.Advice?.HistogramBucketBoundaries ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
            ObservableGauge<int> or ObservableGauge<long> or ObservableGauge<double> or UpDownCounter<long> or ObservableUpDownCounter<long> => new Series(instrument, "gauge", []),
            _ => new Series(instrument, "counter", []),
        };

        /// <summary>Cumulative bucket counts (the last is +Inf), the sum and the count, read together.</summary>
        public (long[] Cumulative, double Sum, long Count) Histogram()
        {
            lock (histogramLock)
            {
                var cumulative = new long[bucketCounts.Length];
                long running = 0;
                for (var i = 0; i < bucketCounts.Length; i++)
                {
                    running += bucketCounts[i];
                    cumulative[i] = running;
                }

                return (cumulative, sum, count);
            }
        }

        internal void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (Kind == "histogram")
            {
                Observe(value);
                return;
            }

            var label = "";
            if (tags.Length > 0)
            {
                if (LabelNames.Count != tags.Length)
                {
                    var names = new string[tags.Length];
                    for (var i = 0; i < tags.Length; i++)
                    {
                        names[i] = tags[i].Key;
                    }

                    LabelNames = names;
                }

                label = TextOf(tags[0].Value);
                for (var i = 1; i < tags.Length; i++)
                {
                    label = string.Concat(label, Separator.ToString(), TextOf(tags[i].Value));
                }
            }

            var box = values.GetOrAdd(label, _ => new StrongBox<double>());
            if (Instrument.IsObservable)
            {
                // An observed gauge is its current value, and an observed counter its running total already.
                Volatile.Write(ref box.Value, value);
                return;
            }

            // Counters arrive from many connections at once; add without a lock.
            double seen, next;
            do
            {
                seen = Volatile.Read(ref box.Value);
                next = seen + value;
            }
            while (Interlocked.CompareExchange(ref box.Value, next, seen) != seen);
        }

        /// <summary>Before observable gauges are polled: forget their label sets (a partition consumed elsewhere now has no series here).</summary>
        internal void ResetGauge()
        {
            if (Kind == "gauge" && Instrument.IsObservable)
            {
                values.Clear();
            }
        }

        private static string TextOf(object? value) =>
            value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";

        private void Observe(double value)
        {
            var index = 0;
            while (index < Buckets.Count && value > Buckets[index])
            {
                index++;
            }

            lock (histogramLock)
            {
                bucketCounts[index]++;
                sum += value;
                count++;
            }
        }
    }
}
