using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>Counts the increments of one of the stream adapters' counters (<see cref="StreamMetrics"/>) per provider while it lives.</summary>
public sealed class StreamCounterListener : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, long> counts = new(StringComparer.Ordinal);

    public StreamCounterListener(string instrumentName)
    {
        listener.InstrumentPublished = (instrument, meterListener) =>
        {
            if (instrument.Meter.Name == StreamMetrics.MeterName && instrument.Name == instrumentName)
            {
                meterListener.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "provider", Value: string provider })
                {
                    counts.AddOrUpdate(provider, value, (_, old) => old + value);
                }
            }
        });
        listener.Start();
    }

    public long CountOf(string provider) => counts.GetValueOrDefault(provider);

    public void Dispose() => listener.Dispose();
}
