namespace ChatCluster.Bench.Streams;

/// <summary>The counters of the bench's two consumer groups (a singleton of the silo, shared with the bench).</summary>
internal sealed class DeliveryCounters
{
    public DeliveryCounter First { get; } = new();

    public DeliveryCounter Second { get; } = new();

    public bool Recording
    {
        set => First.Recording = Second.Recording = value;
    }
}
