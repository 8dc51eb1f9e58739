namespace ChatCluster.Grains.Timelines;

/// <summary>
/// A timeline's most recent messages in seq order, at most a fixed number: a ring buffer, so that evicting the oldest
/// moves nothing (a list shifted all 1,000 references on every send to a full timeline). It grows on demand, as most
/// timelines never fill it. Used inside one grain: single-threaded.
/// </summary>
internal sealed class RecentWindow
{
    private const int InitialSlots = 16;

    private readonly int capacity;
    private ChatMessage[] slots = [];
    private int head;  // the slot of the oldest message

    /// <param name="capacity">The most messages kept; at least 1.</param>
    public RecentWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        this.capacity = capacity;
    }

    public int Count { get; private set; }

    /// <summary>The message at <paramref name="index"/>, 0 being the oldest kept.</summary>
    public ChatMessage this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return slots[Slot(index)];
        }
    }

    /// <summary>The index of the first message with a seq above <paramref name="seq"/> (<see cref="Count"/> if none).</summary>
    public int FirstAfter(long seq)
    {
        var low = 0;
        var high = Count;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (slots[Slot(middle)].Seq <= seq)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>
    /// Adds <paramref name="message"/> in seq order (concurrent appends may finish out of order) and returns the
    /// message that no longer fits, if any: the oldest, or <paramref name="message"/> itself when it is older than
    /// everything kept in a full window.
    /// </summary>
    public ChatMessage? Add(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Nearly always the newest: one look at the last message instead of a search that touches ten scattered ones.
        var position = Count == 0 || slots[Slot(Count - 1)].Seq < message.Seq ? Count : FirstAfter(message.Seq);
        ChatMessage? evicted = null;
        if (Count == capacity)
        {
            if (position == 0)
            {
                return message;
            }

            evicted = slots[head];
            slots[head] = null!;
            head = (head + 1) % slots.Length;
            Count--;
            position--;
        }
        else if (Count == slots.Length)
        {
            Grow();
        }

        for (var i = Count; i > position; i--)
        {
            slots[Slot(i)] = slots[Slot(i - 1)];
        }

        slots[Slot(position)] = message;
        Count++;
        return evicted;
    }

    private int Slot(int index) => (head + index) % slots.Length;

    private void Grow()
    {
        var larger = new ChatMessage[Math.Min(capacity, Math.Max(InitialSlots, slots.Length * 2))];
        for (var i = 0; i < Count; i++)
        {
            larger[i] = slots[Slot(i)];
        }

        slots = larger;
        head = 0;
    }
}
