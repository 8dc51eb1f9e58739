using ChatCluster.Grains.Persistence;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Grains.Timelines;

/// <summary>What every timeline-owning grain needs, injected as one: the store to read from, the read barrier, settings and clock.</summary>
public sealed class TimelineServices(
    IMessageStore store,
    PersistBarrier barrier,
    ChatOptions options,
    TimeProvider clock,
    ILoggerFactory loggers)
{
    public IMessageStore Store { get; } = store;

    public PersistBarrier Barrier { get; } = barrier;

    public ChatOptions Options { get; } = options;

    public TimeProvider Clock { get; } = clock;

    public ILoggerFactory Loggers { get; } = loggers;
}
