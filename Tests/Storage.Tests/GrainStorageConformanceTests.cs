using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace ChatCluster.Storage.Tests;

/// <summary>
/// What every grain storage of ChatCluster must do, run against each provider by a subclass that says
/// how to register it (under <see cref="TestStorage.Name"/>) on a store of its own for each test.
/// Grain-level tests go through <c>IPersistentState</c> on an in-process silo; etag tests call the
/// silo's <see cref="IGrainStorage"/> directly, as two activations would.
/// </summary>
public abstract class GrainStorageConformanceTests : IAsyncLifetime
{
    protected const int Timeout = 180_000;

    private readonly List<InProcessTestCluster> clusters = [];

    /// <summary>Fixed per test, so that a restarted silo finds the rows (the ADO.NET provider keys them by service id).</summary>
    protected string ServiceId { get; } = $"storage-tests-{Guid.NewGuid():N}";

    /// <summary>Creates this test's store (a database, a folder).</summary>
    public abstract Task InitializeAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var cluster in clusters)
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>Registers the storage under test as <see cref="TestStorage.Name"/>.</summary>
    protected abstract void AddStorage(ISiloBuilder silo);

    [Fact(Timeout = Timeout)]
    public async Task ReadOfMissingStateGivesDefaultsAndNoEtag()
    {
        var storage = Storage(await StartSiloAsync());

        var state = new GrainState<ProfileState>();
        await storage.ReadStateAsync("profile", ProfileId("nobody"), state);

        Assert.NotNull(state.State);
        state.State.AssertEqual(new ProfileState());
        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);

        var grain = (await StartSiloAsync()).Client.GetGrain<IProfileGrain>("nobody-either");
        (await grain.GetAsync()).AssertEqual(new ProfileState());
        Assert.Null(await grain.GetEtagAsync());
    }

    [Fact(Timeout = Timeout)]
    public async Task WriteThenReadRoundTripsDictionarySetAndListOfRecordStructs()
    {
        var cluster = await StartSiloAsync();
        var grain = cluster.Client.GetGrain<IProfileGrain>("alice");
        var written = ProfileState.Sample("Alice");

        await grain.SetAsync(written);
        var etag = await grain.GetEtagAsync();
        Assert.False(string.IsNullOrEmpty(etag));
        Assert.True(int.TryParse(etag, out _), $"etag '{etag}' is an integer version");

        // A new activation reads it from the store.
        await cluster.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(written);
        Assert.Equal(etag, await grain.GetEtagAsync());

        var state = new GrainState<ProfileState>();
        await Storage(cluster).ReadStateAsync("profile", grain.GetGrainId(), state);
        state.State.AssertEqual(written);
        Assert.Equal(etag, state.ETag);
        Assert.True(state.RecordExists);

        // And writes again on top of it.
        var second = ProfileState.Sample("Alice 2");
        second.Sessions.Add(new Session("gw-3", "c-3"));
        await grain.SetAsync(second);
        Assert.NotEqual(etag, await grain.GetEtagAsync());
        await cluster.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(second);
    }

    [Fact(Timeout = Timeout)]
    public async Task StaleEtagWriteThrowsInconsistentStateAndLeavesStoredStateUnchanged()
    {
        var storage = Storage(await StartSiloAsync());
        var id = ProfileId("bob");

        // Two activations read the missing state; the first writes.
        var first = await ReadAsync(storage, id);
        var second = await ReadAsync(storage, id);
        first.State = ProfileState.Sample("first");
        await storage.WriteStateAsync("profile", id, first);

        // The second, with no etag, may not create the row the first created.
        second.State = ProfileState.Sample("second");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("profile", id, second));
        (await ReadAsync(storage, id)).State.AssertEqual(ProfileState.Sample("first"));

        // Both catch up; the first writes again; the second's etag is now stale.
        second = await ReadAsync(storage, id);
        first.State = ProfileState.Sample("first again");
        await storage.WriteStateAsync("profile", id, first);
        second.State = ProfileState.Sample("second again");
        var staleEtag = second.ETag;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("profile", id, second));
        Assert.Equal(staleEtag, second.ETag);

        var stored = await ReadAsync(storage, id);
        stored.State.AssertEqual(ProfileState.Sample("first again"));
        Assert.Equal(first.ETag, stored.ETag);

        // A stale clear is refused too.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("profile", id, second));
        (await ReadAsync(storage, id)).State.AssertEqual(ProfileState.Sample("first again"));
    }

    [Fact(Timeout = Timeout)]
    public async Task ClearThenReadGivesDefaultsAndWritesGoOn()
    {
        var cluster = await StartSiloAsync();
        var storage = Storage(cluster);
        var grain = cluster.Client.GetGrain<IProfileGrain>("carol");
        await grain.SetAsync(ProfileState.Sample("Carol"));
        var etagBeforeClear = await grain.GetEtagAsync();

        await grain.ClearAsync();
        (await grain.GetAsync()).AssertEqual(new ProfileState());

        var read = await ReadAsync(storage, grain.GetGrainId());
        read.State.AssertEqual(new ProfileState());
        Assert.False(read.RecordExists);

        await cluster.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(new ProfileState());

        // The etag from before the clear is stale now.
        var stale = new GrainState<ProfileState>(ProfileState.Sample("stale"), etagBeforeClear);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("profile", grain.GetGrainId(), stale));

        await grain.SetAsync(ProfileState.Sample("Carol again"));
        await cluster.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(ProfileState.Sample("Carol again"));
    }

    [Fact(Timeout = Timeout)]
    public async Task TwoGrainClassesWithDifferentStateNamesAndTheSameKeyKeepSeparateRows()
    {
        var cluster = await StartSiloAsync();
        var profile = cluster.Client.GetGrain<IProfileGrain>("same-key");
        var settings = cluster.Client.GetGrain<ISettingsGrain>("same-key");

        await profile.SetAsync(ProfileState.Sample("profile"));
        await settings.SetAsync(ProfileState.Sample("settings"));
        await profile.SetAsync(ProfileState.Sample("profile 2"));

        await cluster.DeactivateAsync(profile);
        await cluster.DeactivateAsync(settings);
        (await profile.GetAsync()).AssertEqual(ProfileState.Sample("profile 2"));
        (await settings.GetAsync()).AssertEqual(ProfileState.Sample("settings"));

        await settings.ClearAsync();
        await cluster.DeactivateAsync(profile);
        (await profile.GetAsync()).AssertEqual(ProfileState.Sample("profile 2"));
    }

    [Fact(Timeout = Timeout)]
    public async Task StateSurvivesARestartOfTheSilo()
    {
        var first = await StartSiloAsync();
        await first.Client.GetGrain<IProfileGrain>("dave").SetAsync(ProfileState.Sample("Dave"));
        await first.Client.GetGrain<ISettingsGrain>("dave").SetAsync(ProfileState.Sample("Dave's settings"));
        var etag = await first.Client.GetGrain<IProfileGrain>("dave").GetEtagAsync();
        await StopAsync(first);

        var second = await StartSiloAsync();
        var grain = second.Client.GetGrain<IProfileGrain>("dave");
        (await grain.GetAsync()).AssertEqual(ProfileState.Sample("Dave"));
        Assert.Equal(etag, await grain.GetEtagAsync());
        (await second.Client.GetGrain<ISettingsGrain>("dave").GetAsync()).AssertEqual(ProfileState.Sample("Dave's settings"));

        await grain.SetAsync(ProfileState.Sample("Dave after restart"));
        await second.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(ProfileState.Sample("Dave after restart"));
    }

    /// <summary>Starts a one-silo cluster with the storage under test; disposed with the test.</summary>
    protected async Task<InProcessTestCluster> StartSiloAsync(Action<ISiloBuilder>? configure = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = ServiceId;
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            AddStorage(silo);
            configure?.Invoke(silo);
        });
        var cluster = builder.Build();
        clusters.Add(cluster);
        await cluster.DeployAsync();
        return cluster;
    }

    protected async Task StopAsync(InProcessTestCluster cluster)
    {
        clusters.Remove(cluster);
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    protected static IGrainStorage Storage(InProcessTestCluster cluster) =>
        cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(TestStorage.Name);

    protected static GrainId ProfileId(string key) => GrainId.Create("profile", key);

    protected static async Task<GrainState<ProfileState>> ReadAsync(IGrainStorage storage, GrainId id, string stateName = "profile")
    {
        var state = new GrainState<ProfileState>();
        await storage.ReadStateAsync(stateName, id, state);
        return state;
    }
}
