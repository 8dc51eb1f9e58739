using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Streams;

/// <summary>
/// <c>chatcluster_stream_consumer_lag{group,namespace,partition}</c> of one log in one silo: for each queue a receiver of
/// this silo holds, the records its consumer group has not checkpointed yet (the log's end minus the group's checkpoint).
/// A receiver holds its queue from its start to its shutdown, so a silo reports exactly the queues it consumes, per group,
/// and stops reporting a queue as soon as it lets it go. Each held queue is sampled when taken and every sample period.
/// </summary>
/// <remarks>
/// The meter is this instance's own (one per silo, named <see cref="StreamMetrics.MeterName"/>), so that a host that follows
/// its own meters (the gateway's <c>/metrics</c>) reports its own silo's queues only, also with several silos in a process.
/// </remarks>
public sealed partial class StreamConsumerLag : IAsyncDisposable
{
    /// <summary>The gauge's name.</summary>
    public const string InstrumentName = "chatcluster_stream_consumer_lag";

    /// <summary>How often the held queues are sampled.</summary>
    public static readonly TimeSpan DefaultSamplePeriod = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly Dictionary<(string Group, int Queue), Held> held = [];
    private readonly IStreamLog log;
    private readonly ILogger logger;
    private readonly TimeSpan samplePeriod;
    private readonly CancellationTokenSource closing = new();
    private Task? sampling;
    private bool disposed;

    /// <summary>The lag of <paramref name="log"/>'s held queues, sampled every <paramref name="samplePeriod"/> (default 5 s).</summary>
    public StreamConsumerLag(IStreamLog log, ILogger logger, TimeSpan? samplePeriod = null)
    {
        this.log = log;
        this.logger = logger;
        this.samplePeriod = samplePeriod ?? DefaultSamplePeriod;
        Meter = new Meter(StreamMetrics.MeterName);
        Meter.CreateObservableGauge(InstrumentName, Observe, unit: "{record}",
            description: "Records of a log partition held by this silo that the consumer group has not checkpointed yet.");
    }

    /// <summary>The meter of the gauge; register it where the host's metrics are collected.</summary>
    public Meter Meter { get; }

    /// <summary>The (group, queue) pairs this silo's receivers hold now, for tests and diagnostics.</summary>
    public IReadOnlyList<(string Group, int Queue)> HeldQueues
    {
        get
        {
            lock (gate)
            {
                return [.. held.Keys.OrderBy(key => key.Group, StringComparer.Ordinal).ThenBy(key => key.Queue)];
            }
        }
    }

    /// <summary>
    /// A receiver of <paramref name="reader"/> took <paramref name="queue"/>: report it from now on. Completes once the queue is
    /// sampled (a failed sample is logged, not thrown), so that a scrape right after a receiver started has its series.
    /// </summary>
    internal Task HoldAsync(LogReader reader, int queue)
    {
        Held entry;
        CancellationToken token;
        lock (gate)
        {
            if (disposed)
            {
                return Task.CompletedTask;
            }

            var key = (reader.ProviderName, queue);
            if (!held.TryGetValue(key, out var existing))
            {
                existing = new Held(reader, queue);
                held[key] = existing;
            }

            existing.Holders++;
            entry = existing;
            token = closing.Token;
            sampling ??= Task.Run(() => SamplePeriodicallyAsync(closing.Token), CancellationToken.None);
        }

        return SampleAsync([entry], token);
    }

    /// <summary>The receiver of <paramref name="reader"/> on <paramref name="queue"/> stopped: no longer reported (at once).</summary>
    internal void Release(LogReader reader, int queue)
    {
        lock (gate)
        {
            var key = (reader.ProviderName, queue);
            if (held.TryGetValue(key, out var existing) && --existing.Holders <= 0)
            {
                held.Remove(key);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task? running;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            held.Clear();
            running = sampling;
        }

        await closing.CancelAsync().ConfigureAwait(false);
        if (running is not null)
        {
            await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        closing.Dispose();
        Meter.Dispose();
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        List<Measurement<long>> measured;
        lock (gate)
        {
            measured = new List<Measurement<long>>(held.Count);
            foreach (var entry in held.Values)
            {
                if (entry.Lag is { } lag)
                {
                    measured.Add(new Measurement<long>(lag,
                        new KeyValuePair<string, object?>("group", entry.Reader.ProviderName),
                        new KeyValuePair<string, object?>("namespace", entry.Reader.SourceNamespace),
                        new KeyValuePair<string, object?>("partition", entry.Queue.ToString(CultureInfo.InvariantCulture))));
                }
            }
        }

        return measured;
    }

    private async Task SamplePeriodicallyAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(samplePeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Held[] entries;
                lock (gate)
                {
                    entries = [.. held.Values];
                }

                await SampleAsync(entries, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SampleAsync(Held[] entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            try
            {
                var end = await log.GetEndAsync(entry.Queue, cancellationToken).ConfigureAwait(false);
                var checkpoint = await log.GetCheckpointAsync(entry.Reader.ProviderName, entry.Queue, cancellationToken).ConfigureAwait(false);
                lock (gate)
                {
                    entry.Lag = Math.Max(0, end - checkpoint);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed sample keeps the last one and is retried at the next period; the log may be down for a while.
            catch (Exception ex) when (ex is not ObjectDisposedException)
#pragma warning restore CA1031
            {
                LogSampleFailed(ex, entry.Reader.ProviderName, entry.Queue);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the consumer lag of group {Group} on queue {Queue} failed; retrying at the next period")]
    private partial void LogSampleFailed(Exception exception, string group, int queue);

    private sealed class Held(LogReader reader, int queue)
    {
        public LogReader Reader { get; } = reader;

        public int Queue { get; } = queue;

        public int Holders { get; set; }

        public long? Lag { get; set; }
    }
}
