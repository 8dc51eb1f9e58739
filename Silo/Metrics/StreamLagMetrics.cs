using System.Diagnostics.Metrics;
using System.Globalization;
using ChatCluster.Grains;
using ChatCluster.Streams;

namespace ChatCluster.Silo.Metrics;

/// <summary>
/// <c>chatcluster_stream_consumer_lag{group,namespace,partition}</c>: records of each log partition that a consumer
/// group has not checkpointed yet (the log's end minus the group's checkpoint), sampled every 5 s. Orleans' queue
/// cache moves a checkpoint in steps of a tenth of the cache, so a caught-up group may show a lag below that step.
/// </summary>
public sealed partial class StreamLagMetrics : BackgroundService
{
    private static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(5);

    private readonly IStreamLog log;
    private readonly string[] groups;
    private readonly ILogger<StreamLagMetrics> logger;
    private volatile Measurement<long>[] samples = [];

    public StreamLagMetrics(IStreamLog log, IEnumerable<string> groups, ILogger<StreamLagMetrics> logger)
    {
        this.log = log;
        this.groups = [.. groups];
        this.logger = logger;
        Meter = new Meter("ChatCluster.Silo");
        Meter.CreateObservableGauge("chatcluster_stream_consumer_lag", () => samples, unit: "{record}",
            description: "Records of a log partition the consumer group has not checkpointed yet.");
    }

    public Meter Meter { get; }

    /// <summary>Takes the first sample before the host is up, so the first scrape has every series.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        samples = await SampleAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SamplePeriod);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                samples = await SampleAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSampleFailed(logger, ex);
            }
        }
    }

    public override void Dispose()
    {
        Meter.Dispose();
        base.Dispose();
    }

    private async Task<Measurement<long>[]> SampleAsync(CancellationToken cancellationToken)
    {
        var measured = new List<Measurement<long>>(groups.Length * log.Queues);
        for (var queue = 0; queue < log.Queues; queue++)
        {
            var end = await log.GetEndAsync(queue, cancellationToken);
            foreach (var group in groups)
            {
                var checkpoint = await log.GetCheckpointAsync(group, queue, cancellationToken);
                measured.Add(new Measurement<long>(Math.Max(0, end - checkpoint),
                    new KeyValuePair<string, object?>("group", group),
                    new KeyValuePair<string, object?>("namespace", TimelineStreams.Namespace),
                    new KeyValuePair<string, object?>("partition", queue.ToString(CultureInfo.InvariantCulture))));
            }
        }

        return [.. measured];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the stream consumer lag failed")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
