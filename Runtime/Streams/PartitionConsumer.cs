namespace ChatCluster.Runtime.Streams;

/// <summary>
/// The consumer of one partition of one namespace for one handler group: what the host starts,
/// stops and reports on. The loop itself is <see cref="PartitionConsumer{TEvent}"/>.
/// </summary>
internal abstract class PartitionConsumer(CheckpointKey key)
{
    private readonly Lock gate = new();
    private StreamPosition acknowledged = StreamPosition.Start;
    private long lag = -1;

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

    /// <summary>The silo incarnation this consumer reads for (set before it runs), or null outside a cluster; see <see cref="IStreamProvider.OpenReader(string, string, int, string?)"/>.</summary>
    public string? Owner { get; set; }

    /// <summary>Events of the partition not acknowledged by the group, as last sampled by the host; null before the first sample.</summary>
    public long? Lag
    {
        get => Interlocked.Read(ref lag) is var value && value >= 0 ? value : null;
        set => Interlocked.Exchange(ref lag, value ?? -1);
    }

    /// <summary>Consumes until <paramref name="cancellationToken"/> is canceled; never fails otherwise.</summary>
    public abstract Task RunAsync(CancellationToken cancellationToken);

    public override string ToString() => key.ToString();
}
