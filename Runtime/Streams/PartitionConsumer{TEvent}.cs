using System.Collections.ObjectModel;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Streams;

/// <summary>
/// The loop of one (handler group, namespace, partition): read a batch, deserialize it, hand it to
/// the handler, acknowledge it. A handler failure retries the same batch with exponential back-off;
/// after <see cref="StreamHandlerOptions.MaxAttempts"/> its events go to the group's dead-letter
/// stream and the partition moves on — except a <see cref="StorageUnavailableException"/> (the handler's storage is
/// down), which is retried with back-off for as long as it lasts. A payload that cannot be deserialized is dead-lettered at once.
/// Nothing is acknowledged before it was handled or dead-lettered, so a stop or crash at any point
/// redelivers, never loses.
/// </summary>
internal sealed partial class PartitionConsumer<TEvent>(
    IStreamHandler<TEvent> handler,
    IStreamProvider provider,
    CheckpointKey key,
    StreamHandlerOptions options,
    ILogger logger) : PartitionConsumer(key)
{
    // Even with no handler back-off configured, a failing provider is not hammered in a tight loop.
    private static readonly TimeSpan MinProviderBackoff = TimeSpan.FromMilliseconds(50);
    private readonly string deadLetterNamespace = DeadLetteredEvent.NamespaceOf(key.Group);

    public override async Task RunAsync(CancellationToken cancellationToken)
    {
        IPartitionReader? reader = null;
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    if (reader is null)
                    {
                        Acknowledged = await provider.GetAcknowledgedAsync(Group, Namespace, Partition, cancellationToken);
                        reader = provider.OpenReader(Group, Namespace, Partition, Owner);
                    }

                    var events = await reader.ReadAsync(options.BatchSize, options.PollWait, cancellationToken);
                    if (events.Count > 0)
                    {
                        await ConsumeAsync(reader, events, cancellationToken);
                    }

                    failures = 0;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    // The provider failed (read, dead-letter append or checkpoint). Whatever was not
                    // acknowledged is read again after a pause: redelivered, not lost.
                    failures++;
                    var backoff = Backoff(failures);
                    backoff = backoff > MinProviderBackoff ? backoff : MinProviderBackoff;
                    LogProviderFailed(logger, ex, Group, Namespace, Partition, failures, backoff);
                    reader?.Rewind();
                    await Task.Delay(backoff, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            if (reader is not null)
            {
                await reader.DisposeAsync();
            }
        }
    }

    private async Task ConsumeAsync(IPartitionReader reader, IReadOnlyList<StoredStreamEvent> events, CancellationToken cancellationToken)
    {
        var stored = new List<StoredStreamEvent>(events.Count);
        var batch = new List<StreamEvent<TEvent>>(events.Count);
        foreach (var original in events)
        {
            if (TryDeserialize(original, out var value, out var error))
            {
                stored.Add(original);
                batch.Add(new StreamEvent<TEvent>(original.Stream, original.Position, value));
            }
            else
            {
                // A payload that cannot be read will never be readable: no retry, and no reason to hold up the partition.
                LogUndeserializable(logger, error, Group, Namespace, Partition, original.Stream, original.Position, typeof(TEvent).Name);
                await DeadLetterAsync(original, $"Cannot deserialize the payload as {typeof(TEvent).FullName}: {error.Message}", 0, cancellationToken);
            }
        }

        if (batch.Count > 0)
        {
            await HandleAsync(stored, batch.AsReadOnly(), cancellationToken);
        }

        var last = events[^1].Position;
        await reader.AcknowledgeAsync(last, cancellationToken);
        Acknowledged = last;
    }

    private async Task HandleAsync(List<StoredStreamEvent> stored, ReadOnlyCollection<StreamEvent<TEvent>> batch, CancellationToken cancellationToken)
    {
        var unavailable = 0;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await handler.HandleAsync(batch, cancellationToken);
                if (unavailable > 0)
                {
                    LogStorageBack(logger, Group, Namespace, Partition, unavailable);
                }

                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (StorageUnavailableException ex)
            {
                // What the handler writes to is down: that says nothing about these events, so the batch waits for it
                // (the log holds it meanwhile) instead of counting towards the dead-letter stream.
                unavailable++;
                attempt--;
                var backoff = Backoff(unavailable);
                LogStorageUnavailable(logger, ex, Group, Namespace, Partition, unavailable, backoff);
                await Task.Delay(backoff, cancellationToken);
            }
            catch (Exception ex)
            {
                if (attempt >= options.MaxAttempts)
                {
                    LogGaveUp(logger, ex, Group, Namespace, Partition, attempt, batch.Count, deadLetterNamespace);
                    var error = $"{ex.GetType().FullName}: {ex.Message}";
                    foreach (var original in stored)
                    {
                        await DeadLetterAsync(original, error, attempt, cancellationToken);
                    }

                    return;
                }

                var backoff = Backoff(attempt);
                LogHandlerFailed(logger, ex, Group, Namespace, Partition, attempt, options.MaxAttempts, backoff);
                await Task.Delay(backoff, cancellationToken);
            }
        }
    }

    private static bool TryDeserialize(StoredStreamEvent original, out TEvent value, out Exception error)
    {
        try
        {
            var result = JsonSerializer.Deserialize<TEvent>(original.Payload.Span, StreamJson.Options);
            if (result is not null)
            {
                value = result;
                error = null!;
                return true;
            }

            error = new JsonException("The payload is JSON null.");
        }
        catch (Exception ex)
        {
            // JsonException mostly, but a converter or constructor may throw anything.
            error = ex;
        }

        value = default!;
        return false;
    }

    private Task<StreamPosition> DeadLetterAsync(StoredStreamEvent original, string error, int attempts, CancellationToken cancellationToken)
    {
        var deadLetter = DeadLetteredEvent.Of(original, Partition, Group, error, attempts);
        return provider.AppendAsync(new StreamId(deadLetterNamespace, original.Stream.ToString()), deadLetter.ToUtf8Json(), cancellationToken);
    }

    /// <summary>The wait after failure number <paramref name="failure"/>: the initial back-off, doubled each time, at most the maximum.</summary>
    private TimeSpan Backoff(int failure)
    {
        var ticks = options.InitialBackoff.Ticks * Math.Pow(2, Math.Min(failure - 1, 62));
        return ticks >= options.MaxBackoff.Ticks ? options.MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Stream handler group {Group} failed on {Namespace} partition {Partition}, attempt {Attempt} of {MaxAttempts}; retrying the batch in {Backoff}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string group, string @namespace, int partition, int attempt, int maxAttempts, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Stream handler group {Group} on {Namespace} partition {Partition}: its storage is unavailable (try {Try}); retrying the batch in {Backoff}, without limit")]
    private static partial void LogStorageUnavailable(ILogger logger, Exception exception, string group, string @namespace, int partition, int @try, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Stream handler group {Group} on {Namespace} partition {Partition}: storage is back after {Tries} failed tries; the batch is handled")]
    private static partial void LogStorageBack(ILogger logger, string group, string @namespace, int partition, int tries);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Stream handler group {Group} gave up on {Namespace} partition {Partition} after attempt {Attempt}: {Count} events go to {DeadLetterNamespace}")]
    private static partial void LogGaveUp(ILogger logger, Exception exception, string group, string @namespace, int partition, int attempt, int count, string deadLetterNamespace);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Stream handler group {Group} cannot deserialize the event at {Position} of {Stream} ({Namespace} partition {Partition}) as {EventType}; it goes to the dead-letter stream")]
    private static partial void LogUndeserializable(ILogger logger, Exception exception, string group, string @namespace, int partition, StreamId stream, StreamPosition position, string eventType);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Stream consumer of group {Group} on {Namespace} partition {Partition} failed to read, dead-letter or acknowledge (failure {Failure} in a row); reading from the checkpoint again in {Backoff}")]
    private static partial void LogProviderFailed(ILogger logger, Exception exception, string group, string @namespace, int partition, int failure, TimeSpan backoff);
}
