using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>Writes log lines to the test's output (prefixed with a name and the time since the test began) and keeps them for assertions.</summary>
internal sealed class OutputLogger<T>(ITestOutputHelper output, string name, Stopwatch clock) : ILogger<T>
{
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"{logLevel}: {formatter(state, exception)}";
        lines.Enqueue(line);
        try
        {
            output.WriteLine($"{clock.Elapsed.TotalMilliseconds,7:0} ms [{name}] {line}");
        }
        catch (InvalidOperationException)
        {
            // the test is over; a background loop logged late
        }
    }
}
