using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams;

/// <summary>
/// Runs the stream handlers of a silo: one <see cref="PartitionConsumer"/> per partition of each registered
/// handler group — all of them, or, once <see cref="DivideAmongSilos"/> is called (a log every silo shares),
/// only those this silo owns, moved as ownership changes. Started and stopped by <see cref="GrainRuntime"/>;
/// stopped before any grain is deactivated, so no handler runs once the runtime stopped.
/// </summary>
/// <param name="provider">The log.</param>
/// <param name="registrations">The handler groups.</param>
/// <param name="services">Where handlers are resolved.</param>
/// <param name="logger">Crashes and rebalances are logged here.</param>
/// <param name="waitForOwnership">True when the partitions will be divided among silos: consume none until <see cref="DivideAmongSilos"/>.</param>
internal sealed partial class StreamHandlerHost(
    IStreamProvider provider, IReadOnlyList<StreamHandlerRegistration> registrations, IServiceProvider services, ILogger logger,
    bool waitForOwnership = false) : IDisposable
{
    /// <summary>How often the consumers' lag is sampled (one provider query per consumer).</summary>
    public static readonly TimeSpan LagSampleInterval = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private readonly Dictionary<CheckpointKey, RunningConsumer> running = [];
    // Consumers let go of and still finishing their batch: a new consumer of the same partition waits for it.
    private readonly Dictionary<CheckpointKey, Task> retiring = [];
    private Func<CheckpointKey, bool> owns = waitForOwnership ? static _ => false : static _ => true;
    private bool started;
    private Task sampling = Task.CompletedTask;
    private Func<string>? currentOwner;

    public IStreamProvider Provider => provider;

    /// <summary>The consumers running now.</summary>
    public IReadOnlyList<PartitionConsumer> Consumers
    {
        get
        {
            lock (gate)
            {
                return [.. running.Values.Select(r => r.Consumer)];
            }
        }
    }

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

    /// <summary>Starts the consumers this silo owns. Every handler is resolved first, so one that cannot be built fails the start.</summary>
    public void Start()
    {
        foreach (var registration in registrations)
        {
            _ = registration.CreateConsumer(services, provider, 0);
        }

        lock (gate)
        {
            started = true;
        }

        Rebalance();
        sampling = SampleLagAsync(stopping.Token);
    }

    /// <summary>
    /// From now on this silo consumes only the partitions <paramref name="ownsPartition"/> gives it (given the
    /// handler group, namespace and partition); call <see cref="Rebalance"/> whenever its answers change.
    /// </summary>
    /// <param name="ownsPartition">Whether this silo owns a (handler group, namespace, partition) now.</param>
    /// <param name="owner">This silo's incarnation now: each consumer started from then on reads (and acknowledges) for it.</param>
    public void DivideAmongSilos(Func<string, string, int, bool> ownsPartition, Func<string>? owner = null)
    {
        ArgumentNullException.ThrowIfNull(ownsPartition);
        lock (gate)
        {
            owns = key => ownsPartition(key.Group, key.Namespace, key.Partition);
            currentOwner = owner;
        }

        Rebalance();
    }

    /// <summary>Starts the consumers of partitions this silo now owns and stops those of partitions it no longer owns.</summary>
    public void Rebalance()
    {
        var (gained, lost) = (0, 0);
        lock (gate)
        {
            if (!started || stopping.IsCancellationRequested)
            {
                return;
            }

            foreach (var registration in registrations)
            {
                for (var partition = 0; partition < provider.Partitions; partition++)
                {
                    var key = new CheckpointKey(registration.Group, registration.Namespace, partition);
                    var wanted = owns(key);
                    if (wanted && !running.ContainsKey(key))
                    {
                        running[key] = StartConsumer(registration, key);
                        gained++;
                    }
                    else if (!wanted && running.Remove(key, out var letGo))
                    {
                        letGo.Cancellation.Cancel();
                        retiring[key] = letGo.Task;
                        _ = letGo.Task.ContinueWith(_ => letGo.Cancellation.Dispose(), TaskScheduler.Default);
                        lost++;
                    }
                }
            }
        }

        if (gained + lost > 0)
        {
            LogRebalanced(logger, gained, lost);
        }
    }

    /// <summary>Stops every consumer and waits for their handlers to return (at most until <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] all;
        lock (gate)
        {
            stopping.Cancel();
            all = [.. running.Values.Select(r => r.Task), .. retiring.Values, sampling];
        }

        await Task.WhenAll(all).WaitAsync(cancellationToken);
    }

    public string Describe() =>
        registrations.Count == 0
            ? $"{provider}; no handlers"
            : $"{provider}; handlers: {string.Join(", ", registrations)}";

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var consumer in running.Values)
            {
                consumer.Cancellation.Dispose();
            }
        }

        stopping.Dispose();
    }

    /// <summary>Samples every running consumer's lag (<see cref="PartitionConsumer.Lag"/>) now and then every <see cref="LagSampleInterval"/>. Never throws.</summary>
    private async Task SampleLagAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(LagSampleInterval);
        try
        {
            do
            {
                await SampleOnceAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SampleOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var consumer in Consumers)
        {
            try
            {
                consumer.Lag = await provider.GetLagAsync(consumer.Group, consumer.Namespace, consumer.Partition, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The consumer itself reports provider failures; the last sample stays until one succeeds.
                LogLagSampleFailed(logger, ex, consumer);
            }
        }
    }

    private RunningConsumer StartConsumer(StreamHandlerRegistration registration, CheckpointKey key)
    {
        var consumer = registration.CreateConsumer(services, provider, key.Partition);
        consumer.Owner = currentOwner?.Invoke();
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        var previous = retiring.Remove(key, out var stillRunning) ? stillRunning : Task.CompletedTask;
        return new RunningConsumer(consumer, cancellation, Task.Run(() => RunAsync(consumer, previous, cancellation.Token)));
    }

    private async Task RunAsync(PartitionConsumer consumer, Task previous, CancellationToken cancellationToken)
    {
        try
        {
            await previous.ConfigureAwait(false); // never throws: RunAsync catches everything
            await consumer.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping, or the partition went to another silo.
        }
        catch (Exception ex)
        {
            // The loop handles every failure itself: this is a bug, and that partition stalls until restart.
            LogConsumerCrashed(logger, ex, consumer);
        }
    }

    private sealed record RunningConsumer(PartitionConsumer Consumer, CancellationTokenSource Cancellation, Task Task);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The stream consumer of {Consumer} stopped unexpectedly; that partition is not consumed until the silo restarts")]
    private static partial void LogConsumerCrashed(ILogger logger, Exception exception, PartitionConsumer consumer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not sample the lag of stream consumer {Consumer}")]
    private static partial void LogLagSampleFailed(ILogger logger, Exception exception, PartitionConsumer consumer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream partitions rebalanced: {Gained} consumers started, {Lost} handed to other silos")]
    private static partial void LogRebalanced(ILogger logger, int gained, int lost);
}
