using ChatCluster.Grains.Persistence;
using ChatCluster.Runtime;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Timelines;

/// <summary>What every timeline-owning grain needs, injected as one: the log to publish to, the store to read from, settings and clock.</summary>
public sealed class TimelineServices(
    StreamPublisher publisher,
    StreamBarrier barrier,
    IMessageStore store,
    ChatOptions options,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    public StreamPublisher Publisher { get; } = publisher;

    public StreamBarrier Barrier { get; } = barrier;

    public IMessageStore Store { get; } = store;

    public ChatOptions Options { get; } = options;

    public TimeProvider Clock { get; } = clock;

    public ILoggerFactory Loggers { get; } = loggers;
}
