namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>A value with a nested record and a list, as the chat grains pass them.</summary>
public sealed record WireNote(string Text, long Seq, IReadOnlyList<string> Tags, WireSpot? Spot);

/// <summary>A small struct passed as a nullable argument (like the chat grains' Session?).</summary>
public readonly record struct WireSpot(string Id, int Port);

/// <summary>A value that may refer to itself, which JSON cannot carry.</summary>
public sealed class WireLoop
{
    public WireLoop? Next { get; set; }
}

/// <summary>Takes and returns the kinds of values the chat grains send over the wire.</summary>
public interface IWireGrain : IGrainWithStringKey
{
    Task<WireNote> Annotate(WireNote note, WireSpot? spot, bool upper);

    Task<string?> Where(WireSpot? spot);

    Task<long[]> Add(long[] values, int delta);

    Task Remember(string text);

    Task<IReadOnlyList<string>> Remembered();

    Task<int> Length(WireLoop chain);

    Task<WireLoop> MakeLoop();
}

public sealed class WireGrain : Grain, IWireGrain
{
    private readonly List<string> remembered = [];

    public Task<WireNote> Annotate(WireNote note, WireSpot? spot, bool upper) =>
        Task.FromResult(note with { Text = upper ? note.Text.ToUpperInvariant() : note.Text, Seq = note.Seq + 1, Spot = spot });

    public Task<string?> Where(WireSpot? spot) => Task.FromResult(spot is { } s ? $"{s.Id}:{s.Port}" : null);

    public Task<long[]> Add(long[] values, int delta) => Task.FromResult(values.Select(v => v + delta).ToArray());

    public Task Remember(string text)
    {
        remembered.Add(text);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> Remembered() => Task.FromResult<IReadOnlyList<string>>([.. remembered]);

    public Task<int> Length(WireLoop chain)
    {
        var length = 0;
        for (var item = chain; item is not null && length < 100; item = item.Next)
        {
            length++;
        }

        return Task.FromResult(length);
    }

    public Task<WireLoop> MakeLoop()
    {
        var loop = new WireLoop();
        loop.Next = loop;
        return Task.FromResult(loop);
    }
}
