namespace ChatCluster.Storage.Tests;

/// <summary>The storage provider name every test registers its storage under.</summary>
public static class TestStorage
{
    public const string Name = "store";
}

/// <summary>A device session, as the chat keeps them: a record struct inside a list.</summary>
[GenerateSerializer]
[Alias("ChatCluster.Storage.Tests.Session")]
public readonly record struct Session(string GatewayId, string ConnectionId);

/// <summary>State with the shapes the chat grains keep: dictionary, set, list of record structs.</summary>
[GenerateSerializer]
[Alias("ChatCluster.Storage.Tests.ProfileState")]
public sealed class ProfileState
{
    [Id(0)]
    public string Name { get; set; } = "";

    [Id(1)]
    public Dictionary<string, long> Counters { get; set; } = [];

    [Id(2)]
    public HashSet<string> Tags { get; set; } = [];

    [Id(3)]
    public List<Session> Sessions { get; set; } = [];

    public static ProfileState Sample(string name) => new()
    {
        Name = name,
        Counters = { ["sent"] = 3, ["received"] = 1_000_000_000_000 },
        Tags = { "admin", "beta" },
        Sessions = { new Session("gw-1", "c-1"), new Session("gw-2", "c-9") },
    };
}

public static class ProfileStateAssertions
{
    public static void AssertEqual(this ProfileState? actual, ProfileState expected)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Counters.OrderBy(pair => pair.Key), actual.Counters.OrderBy(pair => pair.Key));
        Assert.Equal(expected.Tags.Order(), actual.Tags.Order());
        Assert.Equal(expected.Sessions, actual.Sessions);
    }
}

public interface IStateGrain : IGrainWithStringKey
{
    Task<ProfileState> GetAsync();

    Task<string?> GetEtagAsync();

    Task SetAsync(ProfileState state);

    Task ClearAsync();
}

[Alias("ChatCluster.Storage.Tests.IProfileGrain")]
public interface IProfileGrain : IStateGrain;

[Alias("ChatCluster.Storage.Tests.ISettingsGrain")]
public interface ISettingsGrain : IStateGrain;

public abstract class StateGrain(IPersistentState<ProfileState> persistent) : Grain, IStateGrain
{
    public Task<ProfileState> GetAsync() => Task.FromResult(persistent.State);

    public Task<string?> GetEtagAsync() => Task.FromResult(persistent.Etag);

    public Task SetAsync(ProfileState state)
    {
        persistent.State = state;
        return persistent.WriteStateAsync();
    }

    public Task ClearAsync() => persistent.ClearStateAsync();
}

/// <summary>State name "profile".</summary>
public sealed class ProfileGrain([PersistentState("profile", TestStorage.Name)] IPersistentState<ProfileState> state)
    : StateGrain(state), IProfileGrain;

/// <summary>Same state type, another grain class and state name ("settings").</summary>
public sealed class SettingsGrain([PersistentState("settings", TestStorage.Name)] IPersistentState<ProfileState> state)
    : StateGrain(state), ISettingsGrain;
