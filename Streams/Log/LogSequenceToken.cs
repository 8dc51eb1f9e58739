using Orleans.Providers.Streams.Common;

namespace ChatCluster.Streams;

/// <summary>
/// The token of a log record as a reader delivers it: <see cref="EventSequenceTokenV2.SequenceNumber"/> is the order in
/// which this reader handed the record to Orleans' queue cache, and <see cref="Offset"/> is the record's place in the log.
/// </summary>
/// <remarks>
/// They differ only for a record handed late, e.g. one a dead consumer had read and the queue's new owner takes over
/// after newer records: Orleans' cache skips a record whose token is older than those handed before it, so the
/// order must keep growing while the offset stays the record's own (acknowledgement, checkpoints, the read barrier).
/// </remarks>
[GenerateSerializer, Alias("ChatCluster.Streams.LogSequenceToken")]
public sealed class LogSequenceToken : EventSequenceTokenV2
{
    /// <summary>A token for event <paramref name="eventIndex"/> of the record at <paramref name="offset"/>, handed as <paramref name="order"/>.</summary>
    public LogSequenceToken(long order, int eventIndex, long offset)
        : base(order, eventIndex)
    {
        Offset = offset;
    }

    /// <summary>The record's offset in its queue.</summary>
    [Id(0)]
    public long Offset { get; private set; }
}
