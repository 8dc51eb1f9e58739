namespace ChatCluster.Runtime.Streams;

/// <summary>
/// The consumer of one partition of one namespace for one handler group: what the host starts,
/// stops and reports on. The loop itself is <see cref="PartitionConsumer{TEvent}"/>.
/// </summary>
internal abstract class PartitionConsumer(CheckpointKey key)
{
    private readonly Lock gate = new();
    private StreamPosition acknowledged = StreamPosition.Start;

    public string Group => key.Group;

    public string Namespace => key.Namespace;

    public int Partition => key.Partition;

    protected CheckpointKey Key => key;

    /// <summary>The last position this consumer acknowledged (or found acknowledged when it started).</summary>
    public StreamPosition Acknowledged
    {
        get
        {
            lock (gate)
            {
                return acknowledged;
            }
        }

        protected set
        {
            lock (gate)
            {
                acknowledged = value;
            }
        }
    }

    /// <summary>Consumes until <paramref name="cancellationToken"/> is canceled; never fails otherwise.</summary>
    public abstract Task RunAsync(CancellationToken cancellationToken);

    public override string ToString() => key.ToString();
}
