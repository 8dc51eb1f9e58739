using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace ChatCluster.Grains.Timelines;

/// <summary>
/// A consumer of one partition of the timeline log (grain key: the partition number), for a consumer group's reader
/// (see <see cref="TimelineStreams"/>): mark the subclass <c>[ImplicitStreamSubscription(…)]</c> with the reader's
/// namespace and implement <see cref="OnNextAsync"/>, which gets the partition's events in log order, in batches, at
/// least once. The activation stays for the life of the silo: its partition keeps it busy, and re-activating it
/// would only cost time.
/// </summary>
public abstract partial class TimelinePartitionConsumer(ILogger logger)
    : Grain, IStreamSubscriptionObserver, IAsyncBatchObserver<TimelineEvent>
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        DelayDeactivation(Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory)
    {
        ArgumentNullException.ThrowIfNull(handleFactory);
        return handleFactory.Create<TimelineEvent>().ResumeAsync(this);
    }

    /// <summary>Handles one batch; return once it is done (a throw gets it delivered again).</summary>
    public abstract Task OnNextAsync(IList<SequentialItem<TimelineEvent>> items);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(logger, ex, GetType().Name, this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Consumer} of partition {Partition}: the stream reported an error")]
    private static partial void LogStreamError(ILogger logger, Exception exception, string consumer, string partition);
}
