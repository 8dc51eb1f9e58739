namespace ChatCluster.Streams;

/// <summary>
/// A read-only stream provider over the log: it reads every queue from its own checkpoints, with
/// its own cache and pulling agents, and delivers the records of <paramref name="SourceNamespace"/>
/// on one stream per queue, <c>StreamId.Create(DeliveredNamespace, "&lt;queue number&gt;")</c>, so that one
/// consumer grain per queue (an implicit subscription on <paramref name="DeliveredNamespace"/>)
/// receives the queue's events in log order. Records of other namespaces are skipped.
/// </summary>
/// <param name="ProviderName">The Orleans stream provider name; also the name its checkpoints are kept under.</param>
/// <param name="SourceNamespace">The namespace grains publish to through the write-only provider.</param>
/// <param name="DeliveredNamespace">The namespace this provider delivers on; give each reader its own.</param>
public sealed record LogReader(string ProviderName, string SourceNamespace, string DeliveredNamespace)
{
    /// <summary>Records handed to a consumer per call (<c>StreamPullingAgentOptions.BatchContainerBatchSize</c>); batch observers get up to this many.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Records held per queue in Orleans' cache (<c>SimpleQueueCacheOptions.CacheSize</c>); the backlog one slow consumer may build before its queue stops reading.</summary>
    public int CacheSize { get; init; } = 4096;

    /// <summary>
    /// How often each pulling agent asks its receiver for new records (<c>StreamPullingAgentOptions.GetQueueMsgsTimerPeriod</c>).
    /// Orleans' default is 100 ms; 10 ms here, as a caught-up receiver answers from memory.
    /// </summary>
    public TimeSpan PollPeriod { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long Orleans retries delivering a record to a failing consumer before it gives up on it (<c>StreamPullingAgentOptions.MaxEventDeliveryTime</c>); null keeps Orleans' default (1 minute).</summary>
    public TimeSpan? MaxDeliveryTime { get; init; }

    /// <summary>What is wrong with this reader, each message naming the property; empty when it is valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ProviderName))
        {
            yield return $"{nameof(LogReader)}.{nameof(ProviderName)} is required.";
        }

        if (string.IsNullOrWhiteSpace(SourceNamespace))
        {
            yield return $"{nameof(LogReader)}.{nameof(SourceNamespace)} is required (reader '{ProviderName}').";
        }

        if (string.IsNullOrWhiteSpace(DeliveredNamespace))
        {
            yield return $"{nameof(LogReader)}.{nameof(DeliveredNamespace)} is required (reader '{ProviderName}').";
        }
        else if (string.Equals(SourceNamespace, DeliveredNamespace, StringComparison.Ordinal))
        {
            yield return $"{nameof(LogReader)}.{nameof(DeliveredNamespace)} must differ from {nameof(SourceNamespace)} (reader '{ProviderName}'): consumers subscribe to a namespace, not a provider.";
        }

        if (BatchSize < 1)
        {
            yield return $"{nameof(LogReader)}.{nameof(BatchSize)} must be at least 1 (reader '{ProviderName}', was {BatchSize}).";
        }

        if (CacheSize < 16)
        {
            yield return $"{nameof(LogReader)}.{nameof(CacheSize)} must be at least 16 (reader '{ProviderName}', was {CacheSize}).";
        }

        if (PollPeriod <= TimeSpan.Zero)
        {
            yield return $"{nameof(LogReader)}.{nameof(PollPeriod)} must be positive (reader '{ProviderName}', was {PollPeriod}).";
        }

        if (MaxDeliveryTime is { } max && max <= TimeSpan.Zero)
        {
            yield return $"{nameof(LogReader)}.{nameof(MaxDeliveryTime)} must be positive when set (reader '{ProviderName}', was {max}).";
        }
    }
}
