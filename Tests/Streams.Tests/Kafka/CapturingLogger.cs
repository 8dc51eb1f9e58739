using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Streams.Tests.Kafka;

/// <summary>A logger that keeps every formatted message and its exception.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<string> messages = new();

    public IReadOnlyCollection<string> Messages => messages;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        messages.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
}
