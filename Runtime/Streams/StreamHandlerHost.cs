using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams;

/// <summary>
/// Runs the stream handlers of a silo: one <see cref="PartitionConsumer"/> per partition of each
/// registered handler group. Started and stopped by <see cref="GrainRuntime"/>; stopped before any
/// grain is deactivated, so no handler runs once the runtime stopped.
/// </summary>
internal sealed partial class StreamHandlerHost(
    IStreamProvider provider, IReadOnlyList<StreamHandlerRegistration> registrations, IServiceProvider services, ILogger logger) : IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> running = [];

    public IStreamProvider Provider => provider;

    /// <summary>Every consumer, once started.</summary>
    public IReadOnlyList<PartitionConsumer> Consumers { get; private set; } = [];

    /// <summary>Prepares the provider (tables, streams).</summary>
    /// <exception cref="StorageUnavailableException">It could not be reached or prepared.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await provider.InitializeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new StorageUnavailableException($"The stream provider ({provider}) could not be prepared: {ex.Message}", ex);
        }
    }

    /// <summary>Starts every consumer. Handlers are resolved first, so one that cannot be built fails the start.</summary>
    public void Start()
    {
        Consumers = [.. registrations.SelectMany(r => Enumerable.Range(0, provider.Partitions).Select(p => r.CreateConsumer(services, provider, p)))];
        foreach (var consumer in Consumers)
        {
            running.Add(Task.Run(() => RunAsync(consumer)));
        }
    }

    /// <summary>Stops every consumer and waits for their handlers to return (at most until <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        await Task.WhenAll(running).WaitAsync(cancellationToken);
    }

    public string Describe() =>
        registrations.Count == 0
            ? $"{provider}; no handlers"
            : $"{provider}; handlers: {string.Join(", ", registrations)}";

    public void Dispose() => stopping.Dispose();

    private async Task RunAsync(PartitionConsumer consumer)
    {
        try
        {
            await consumer.RunAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // The loop handles every failure itself: this is a bug, and that partition stalls until restart.
            LogConsumerCrashed(logger, ex, consumer);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The stream consumer of {Consumer} stopped unexpectedly; that partition is not consumed until the silo restarts")]
    private static partial void LogConsumerCrashed(ILogger logger, Exception exception, PartitionConsumer consumer);
}
