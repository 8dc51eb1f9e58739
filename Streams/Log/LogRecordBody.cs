namespace ChatCluster.Streams;

/// <summary>The payload of a log record: what one <c>QueueMessageBatchAsync</c> call published.</summary>
[GenerateSerializer, Alias("ChatCluster.Streams.LogRecordBody")]
internal sealed class LogRecordBody
{
    [Id(0)]
    public List<object> Events { get; set; } = [];

    [Id(1)]
    public Dictionary<string, object>? RequestContext { get; set; }
}
