using System.Diagnostics.Metrics;

namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>Reads the consumer-lag gauge of one silo's <see cref="StreamConsumerLag"/> (its own meter, not other silos').</summary>
public static class LagGauge
{
    /// <summary>The series the gauge reports now: group, namespace, partition and lag of each.</summary>
    public static List<(string Group, string Namespace, string Partition, long Lag)> Read(StreamConsumerLag lag)
    {
        var series = new List<(string, string, string, long)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, lag.Meter) && instrument.Name == StreamConsumerLag.InstrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string group = "", ns = "", partition = "";
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "group": group = (string)tag.Value!; break;
                    case "namespace": ns = (string)tag.Value!; break;
                    case "partition": partition = (string)tag.Value!; break;
                }
            }

            lock (series)
            {
                series.Add((group, ns, partition, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return series;
    }
}
