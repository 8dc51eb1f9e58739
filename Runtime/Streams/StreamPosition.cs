namespace ChatCluster.Runtime;

/// <summary>
/// A place in one partition of a stream namespace, ordered. Offsets of the memory, SQLite and Kafka
/// providers are (0, offset); Redis Streams entry ids are (milliseconds, sequence).
/// </summary>
public readonly record struct StreamPosition(long High, long Low) : IComparable<StreamPosition>
{
    /// <summary>Before the first event of every partition.</summary>
    public static readonly StreamPosition Start = new(0, 0);

    /// <inheritdoc />
    public int CompareTo(StreamPosition other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    public static bool operator <(StreamPosition left, StreamPosition right) => left.CompareTo(right) < 0;

    public static bool operator >(StreamPosition left, StreamPosition right) => left.CompareTo(right) > 0;

    public static bool operator <=(StreamPosition left, StreamPosition right) => left.CompareTo(right) <= 0;

    public static bool operator >=(StreamPosition left, StreamPosition right) => left.CompareTo(right) >= 0;

    /// <inheritdoc />
    public override string ToString() => $"{High}-{Low}";
}
