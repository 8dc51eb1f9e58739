namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// A provider that fails on purpose: the first <c>failReads</c> reads and the first
/// <c>failAcknowledgements</c> acknowledgements of every reader throw, as a lost connection would.
/// </summary>
internal sealed class FlakyStreamProvider(IStreamProvider inner, int failReads, int failAcknowledgements) : IStreamProvider
{
    private readonly int failReads = failReads;
    private readonly int failAcknowledgements = failAcknowledgements;
    private int readFailures;
    private int acknowledgementFailures;

    public int Partitions => inner.Partitions;

    public int ReadFailures => Volatile.Read(ref readFailures);

    public int AcknowledgementFailures => Volatile.Read(ref acknowledgementFailures);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<StreamPosition> AppendAsync(StreamId stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        inner.AppendAsync(stream, payload, cancellationToken);

    public IPartitionReader OpenReader(string handlerGroup, string streamNamespace, int partition) =>
        new Reader(this, inner.OpenReader(handlerGroup, streamNamespace, partition));

    public Task<StreamPosition> GetEndAsync(string streamNamespace, int partition, CancellationToken cancellationToken) =>
        inner.GetEndAsync(streamNamespace, partition, cancellationToken);

    public Task<StreamPosition> GetAcknowledgedAsync(string handlerGroup, string streamNamespace, int partition, CancellationToken cancellationToken) =>
        inner.GetAcknowledgedAsync(handlerGroup, streamNamespace, partition, cancellationToken);

    private sealed class Reader(FlakyStreamProvider owner, IPartitionReader inner) : IPartitionReader
    {
        private int reads;
        private int acknowledgements;

        public async Task<IReadOnlyList<StoredStreamEvent>> ReadAsync(int maxCount, TimeSpan wait, CancellationToken cancellationToken)
        {
            var events = await inner.ReadAsync(maxCount, wait, cancellationToken);
            if (events.Count > 0 && ++reads <= owner.failReads)
            {
                Interlocked.Increment(ref owner.readFailures);
                throw new IOException("read failed on purpose");
            }

            return events;
        }

        public Task AcknowledgeAsync(StreamPosition position, CancellationToken cancellationToken)
        {
            if (++acknowledgements <= owner.failAcknowledgements)
            {
                Interlocked.Increment(ref owner.acknowledgementFailures);
                throw new IOException("acknowledgement failed on purpose");
            }

            return inner.AcknowledgeAsync(position, cancellationToken);
        }

        public void Rewind() => inner.Rewind();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
