using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace ChatCluster.Streams;

/// <summary>
/// One record of the log as a reader provider delivers it: the events of one append, on the
/// reader's stream for the queue, with a <see cref="LogSequenceToken"/> per event.
/// </summary>
[GenerateSerializer, Alias("ChatCluster.Streams.LogBatchContainer")]
public sealed class LogBatchContainer : IBatchContainer
{
    /// <summary>Creates a container for the record at <paramref name="offset"/>, handed to Orleans' cache as <paramref name="order"/>.</summary>
    /// <remarks><paramref name="order"/> must be greater than that of every record the reader handed before (see <see cref="LogSequenceToken"/>).</remarks>
    public LogBatchContainer(StreamId streamId, List<object> events, long offset, long order, Dictionary<string, object>? requestContext)
    {
        StreamId = streamId;
        Events = events;
        Token = new LogSequenceToken(order, 0, offset);
        RequestContext = requestContext;
    }

    /// <inheritdoc />
    [Id(0)]
    public StreamId StreamId { get; }

    /// <summary>The events of the append, in the order they were published.</summary>
    [Id(1)]
    public List<object> Events { get; }

    /// <summary>The token of the record (its first event).</summary>
    [Id(2)]
    public LogSequenceToken Token { get; }

    /// <summary>The publisher's request context, if it had one.</summary>
    [Id(3)]
    public Dictionary<string, object>? RequestContext { get; }

    /// <summary>The record's offset in its queue.</summary>
    public long Offset => Token.Offset;

    /// <inheritdoc />
    public StreamSequenceToken SequenceToken => Token;

    /// <inheritdoc />
    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i] is T item)
            {
                // The record's token is its first event's: most records hold one event, which then needs no token of its own.
                StreamSequenceToken token = i == 0 ? Token : new LogSequenceToken(Token.SequenceNumber, i, Token.Offset);
                yield return Tuple.Create(item, token);
            }
        }
    }

    /// <inheritdoc />
    public bool ImportRequestContext()
    {
        if (RequestContext is null)
        {
            return false;
        }

        RequestContextExtensions.Import(RequestContext);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"[{StreamId} @{Offset} x{Events.Count}]";
}
