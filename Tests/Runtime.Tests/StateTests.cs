using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests;

/// <summary>Persistent state through activation, deactivation and concurrent writers, on every storage provider.</summary>
public sealed class StateTests
{
    public static TheoryData<string> Storages => [StorageKind.Memory, StorageKind.Sqlite, StorageKind.Postgres];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Storages))]
    public async Task State_round_trips_through_deactivation(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "roundtrip");
        await using var silo = await TestSilo.StartAsync(store);
        var counter = silo.Grains.GetGrain<ICounterGrain>("c1");
        for (var i = 0; i < 3; i++)
        {
            await counter.Increment();
        }

        var firstActivation = await counter.ActivationId();
        await counter.Deactivate();
        await WaitUntil(async () => await counter.ActivationId() != firstActivation);

        Assert.Equal(3, await counter.Value());
        Assert.Equal(4, await counter.Increment());
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Storages))]
    public async Task State_survives_a_restart_of_the_silo(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "restart");
        await using (var first = await TestSilo.StartAsync(store))
        {
            await first.Grains.GetGrain<ICounterGrain>("kept").Increment();
            await first.Grains.GetGrain<ICounterGrain>("kept").Increment();
        }

        await using var second = await TestSilo.StartAsync(store);
        Assert.Equal(2, await second.Grains.GetGrain<ICounterGrain>("kept").Value());
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Storages))]
    public async Task Write_with_a_stale_etag_is_refused_with_a_clear_error(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "stale");
        // Two silos on one store stand for two activations of one grain that both believe they own it.
        await using var a = await TestSilo.StartAsync(store);
        await using var b = await TestSilo.StartAsync(store);
        var inA = a.Grains.GetGrain<ICounterGrain>("contested");
        var inB = b.Grains.GetGrain<ICounterGrain>("contested");
        Assert.Equal(0, await inA.Value());
        Assert.Equal(0, await inB.Value());

        Assert.Equal(1, await inA.Increment());
        var error = await Assert.ThrowsAsync<InconsistentStateException>(inB.Increment);

        Assert.Contains("counter", error.Message, StringComparison.Ordinal);
        Assert.Contains("counter/contested", error.Message, StringComparison.Ordinal);
        Assert.Null(error.ExpectedEtag);
        Assert.Equal("1", error.StoredEtag);
        Assert.Equal(2, await inA.Increment()); // the winner goes on; the store holds only its writes
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Storages))]
    public async Task Clear_resets_the_state_and_keeps_the_etag_moving(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "clear");
        await using var a = await TestSilo.StartAsync(store);
        await using var b = await TestSilo.StartAsync(store);
        var inA = a.Grains.GetGrain<ICounterGrain>("cleared");
        await inA.Increment();
        var inB = b.Grains.GetGrain<ICounterGrain>("cleared");
        Assert.Equal(1, await inB.Value());

        await inA.Clear();

        Assert.Equal(0, await inA.Value());
        Assert.Equal(1, await inA.Increment());
        await Assert.ThrowsAsync<InconsistentStateException>(inB.Increment); // B's etag predates the clear
    }

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Storages))]
    public async Task Ten_thousand_grains_activated_concurrently_all_work(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "many");
        await using var silo = await TestSilo.StartAsync(store);
        const int count = 10_000;

        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(i => silo.Grains.GetGrain<ICounterGrain>($"g{i}").Increment()));

        Assert.All(results, r => Assert.Equal(1, r));
        Assert.Equal(count, silo.Runtime.ActivationCount);
        var reads = await Task.WhenAll(Enumerable.Range(0, count).Select(i => silo.Grains.GetGrain<ICounterGrain>($"g{i}").Value()));
        Assert.All(reads, r => Assert.Equal(1, r));
    }

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Storages))]
    public async Task Idle_activations_are_collected_and_come_back_with_their_state(string storage)
    {
        var store = await StorageKind.FreshAsync(storage, "idle");
        await using var silo = await TestSilo.StartAsync(store, o =>
        {
            o.CollectionAge = TimeSpan.FromMilliseconds(500);
            o.CollectionQuantum = TimeSpan.FromMilliseconds(100);
        });
        var counters = Enumerable.Range(0, 50).Select(i => silo.Grains.GetGrain<ICounterGrain>($"idle{i}")).ToList();
        foreach (var counter in counters)
        {
            await counter.Increment();
        }

        var before = await counters[0].ActivationId();
        await WaitUntil(() => Task.FromResult(silo.Runtime.ActivationCount == 0));

        Assert.NotEqual(before, await counters[0].ActivationId());
        foreach (var counter in counters)
        {
            Assert.Equal(1, await counter.Value());
        }
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 20 s");
            await Task.Delay(20);
        }
    }
}
