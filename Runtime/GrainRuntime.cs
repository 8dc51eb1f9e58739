using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json;
using ChatCluster.Runtime.Activations;
using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Manifest;
using ChatCluster.Runtime.Storage;
using ChatCluster.Runtime.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime;

/// <summary>
/// The actor runtime of one silo: hands out grain references, routes each call to the grain's
/// activation (creating it on demand), expires calls past their timeout and collects idle activations.
/// In this single-process runtime every grain is placed here; a cluster chooses the owner in
/// <see cref="Dispatch"/> before the local path.
/// </summary>
public sealed partial class GrainRuntime : IGrainFactory, IAsyncDisposable
{
    private readonly Dictionary<string, GrainClass> grainClasses = [];
    private readonly GrainStorageRegistry storages;
    private readonly StreamHandlerHost? streams;
    private readonly CancellationTokenSource stopping = new();
    private Task? sweeper;
    private volatile bool stopped;
    private bool started;

    internal GrainRuntime(IServiceProvider services, RuntimeOptions options, GrainStorageRegistry storages,
        IEnumerable<Assembly> grainAssemblies, StreamHandlerHost? streams, ILogger<GrainRuntime> logger)
    {
        Services = services;
        Options = options;
        this.storages = storages;
        this.streams = streams;
        Logger = logger;
        CallTimeoutMilliseconds = (long)options.CallTimeout.TotalMilliseconds;
        Meter = new Meter(MeterName);
        Meter.CreateObservableGauge("chatcluster_stream_consumer_lag", ObserveLag, unit: "{event}",
            description: "Events of a stream partition that a handler group has not acknowledged yet, for each partition this silo consumes (sampled every 5 s).");
        foreach (var assembly in grainAssemblies.Distinct())
        {
            foreach (var (grainInterface, grainClass) in AssemblyManifest.Of(assembly).Classes)
            {
                if (grainClasses.TryGetValue(grainClass.GrainType, out var other) && other.ClassType != grainClass.ClassType)
                {
                    throw new InvalidOperationException(
                        $"Grain interface {grainInterface.FullName} (grain type '{grainClass.GrainType}') has two classes: "
                        + $"{other.ClassType.FullName} and {grainClass.ClassType.FullName}. Keep one class per grain interface.");
                }

                grainClasses[grainClass.GrainType] = grainClass;
                AddCallFactory(grainInterface, grainClass.GrainType);
            }
        }
    }

    /// <summary>
    /// True between the end of <see cref="StartAsync"/> and the start of <see cref="StopAsync"/>:
    /// the silo takes grain calls. Readiness probes report it.
    /// </summary>
    public bool IsStarted => Volatile.Read(ref started);

    /// <summary>The name of <see cref="Meter"/>.</summary>
    public const string MeterName = "ChatCluster.Runtime";

    /// <summary>
    /// The runtime's instruments, one meter per runtime (so several silos in one process keep theirs apart):
    /// <c>chatcluster_stream_consumer_lag</c> by handler group, namespace and partition. The gateway's <c>/metrics</c> includes them.
    /// </summary>
    public Meter Meter { get; }

    /// <summary>Number of activations in this silo now.</summary>
    public int ActivationCount => Catalog.Count;

    internal IServiceProvider Services { get; }

    internal RuntimeOptions Options { get; }

    internal ILogger Logger { get; }

    internal long CallTimeoutMilliseconds { get; }

    internal ActivationCatalog Catalog { get; } = new();

    /// <summary>The stream provider and handler consumers; null when no stream provider is configured.</summary>
    internal StreamHandlerHost? Streams => streams;

    internal JsonSerializerOptions StateSerializerOptions { get; } = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > GrainId.MaxKeyLength)
        {
            throw new ArgumentException($"A grain key must be 1 to {GrainId.MaxKeyLength} characters long; got {key.Length}.", nameof(key));
        }

        return GrainProxyFactory<TGrain>.Create(key, this);
    }

    /// <summary>
    /// Creates storage schemas and stream tables, starts the timeout and idle-collection sweeps, then
    /// the stream handlers.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await storages.InitializeAllAsync(cancellationToken);
        foreach (var task in Services.GetServices<RuntimeStartupTask>())
        {
            try
            {
                await task.Run(Services, cancellationToken);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or StorageUnavailableException))
            {
                throw new StorageUnavailableException($"Start-up could not prepare storage: {ex.Message}", ex);
            }
        }

        if (streams is not null)
        {
            await streams.InitializeAsync(cancellationToken);
        }

        sweeper = SweepAsync(stopping.Token);
        if (Services.GetService<Transport.SiloTransport>() is { } transport)
        {
            Transport = transport;
            await transport.StartAsync(this);
        }

        var storageDescription = storages.Describe();
        LogStarted(Logger, grainClasses.Count, storageDescription);
        if (streams is not null)
        {
            streams.Start();
            var streamsDescription = streams.Describe();
            LogStreamsStarted(Logger, streamsDescription);
        }

        Volatile.Write(ref started, true);
    }

    /// <summary>
    /// Stops the stream handlers (waiting for those running to return), then stops taking calls and
    /// deactivates every activation (each runs OnDeactivateAsync), waiting at most until
    /// <paramref name="cancellationToken"/> is canceled.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Not ready from the first moment of stopping, so probes route traffic away while it drains.
        Volatile.Write(ref started, false);
        if (stopped)
        {
            return;
        }

        // Handlers first: they may still call grains, and none may run once the runtime stopped.
        if (streams is not null)
        {
            await streams.StopAsync(cancellationToken);
        }

        stopped = true;
        await stopping.CancelAsync();
        var activations = Catalog.Snapshot();
        foreach (var activation in activations)
        {
            activation.RequestDeactivation(DeactivationReason.SiloStopping);
        }

        try
        {
            await Task.WhenAll(activations.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
            if (sweeper is not null)
            {
                await sweeper;
            }
        }
        finally
        {
            // Last, so that calls from other silos in flight at the stop still get their responses: the transport
            // drains each connection (the peer sends no more requests, every request is answered) before it closes.
            if (Transport is not null)
            {
                await Transport.StopAsync(Options.CallTimeout);
            }
        }

        LogStopped(Logger, activations.Count);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(Options.DeactivationTimeout);
        await StopAsync(timeout.Token);
        stopping.Dispose();
        streams?.Dispose();
        Meter.Dispose();
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        if (streams is null)
        {
            yield break;
        }

        foreach (var consumer in streams.Consumers)
        {
            if (consumer.Lag is { } lag)
            {
                yield return new Measurement<long>(lag,
                    new KeyValuePair<string, object?>("group", consumer.Group),
                    new KeyValuePair<string, object?>("namespace", consumer.Namespace),
                    new KeyValuePair<string, object?>("partition", consumer.Partition));
            }
        }
    }

    /// <summary>Delivers a turn to the grain's activation, creating it if needed; returns the activation.</summary>
    internal Activation Dispatch(GrainId id, ITurn turn)
    {
        var spin = new SpinWait();
        while (true)
        {
            if (stopped)
            {
                throw new SiloUnavailableException($"The silo is stopping; the call to {id} was not delivered. Retry it.");
            }

            var activation = Catalog.GetOrCreate(id, this, GetGrainClass(id));
            if (activation.TryEnqueue(turn))
            {
                return activation;
            }

            // That activation is finishing its deactivation and is about to leave the catalog.
            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Re-delivers a turn that reached an activation after it began to deactivate: to the grain's owner when
    /// the grain has moved to another silo (see <see cref="TryForward"/>), else to a new activation here.
    /// </summary>
    internal void Redispatch(GrainId id, ITurn turn)
    {
        try
        {
            if (!TryForward(id, turn))
            {
                Dispatch(id, turn);
            }
        }
        catch (Exception ex)
        {
            turn.Abandon(ex);
        }
    }

    internal IGrainStorage GetStorage(string? name) => storages.Get(name);

    private GrainClass GetGrainClass(GrainId id) =>
        grainClasses.TryGetValue(id.Type, out var grainClass)
            ? grainClass
            : throw new InvalidOperationException(
                $"No grain class for grain type '{id.Type}' is registered in this silo. Add its assembly with AddGrains(typeof(TheGrain).Assembly).");

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(Math.Min(Options.CallTimeout.TotalMilliseconds, Options.CollectionQuantum.TotalMilliseconds) / 4, 10, 1000));
        using var timer = new PeriodicTimer(tick);
        var nextCollection = Environment.TickCount64 + (long)Options.CollectionQuantum.TotalMilliseconds;
        var expired = new List<(GrainId Grain, ITurn Turn)>();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = Environment.TickCount64;
                var collect = now >= nextCollection;
                foreach (var activation in Catalog.Snapshot())
                {
                    activation.CollectExpired(now, expired);
                    if (collect)
                    {
                        activation.DeactivateIfIdle(now, (long)Options.CollectionAge.TotalMilliseconds);
                    }
                }

                foreach (var (grain, turn) in expired)
                {
                    turn.Abandon(new GrainCallTimeoutException(
                        $"The call {turn} to grain {grain} did not complete within the call timeout of {Options.CallTimeout.TotalSeconds:0.###} s."));
                }

                expired.Clear();
                if (collect)
                {
                    nextCollection = now + (long)Options.CollectionQuantum.TotalMilliseconds;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain runtime started with {GrainClassCount} grain classes; storage: {Storage}")]
    private static partial void LogStarted(ILogger logger, int grainClassCount, string storage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Streams started: {Streams}")]
    private static partial void LogStreamsStarted(ILogger logger, string streams);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain runtime stopped; {ActivationCount} activations deactivated")]
    private static partial void LogStopped(ILogger logger, int activationCount);
}
