using ChatCluster.Grains;
using ChatCluster.Storage.Postgres;
using ChatCluster.Testing.Servers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Storage;

namespace ChatCluster.Storage.Tests;

/// <summary>The conformance suite on PostgreSQL through Orleans' ADO.NET provider, plus its own guarantees.</summary>
public sealed class PostgresGrainStorageTests : GrainStorageConformanceTests
{
    private string connectionString = "";

    public override async Task InitializeAsync()
    {
        var server = await SharedServers.Postgres;
        connectionString = await server.CreateUniqueDatabaseAsync("storage");
    }

    protected override void AddStorage(ISiloBuilder silo) => silo.AddPostgresGrainStorage(TestStorage.Name, connectionString);

    [Fact(Timeout = Timeout)]
    public async Task InstallersStartingTogetherOnAnEmptyDatabaseAllSucceedAndEachQueryIsStoredOnce()
    {
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => PostgresStorageInstaller.ApplyAsync(connectionString, CancellationToken.None))));

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryKey, count(*) FROM OrleansQuery GROUP BY QueryKey ORDER BY QueryKey", connection);
        var rows = new List<(string Key, long Count)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        Assert.Equal([("ClearStorageKey", 1L), ("ReadFromStorageKey", 1L), ("WriteToStorageKey", 1L)], rows);
    }

    [Fact(Timeout = Timeout)]
    public async Task TwoSilosStartingTogetherOnAnEmptyDatabaseBothWork()
    {
        var silos = await Task.WhenAll(StartSiloAsync(), StartSiloAsync());

        await silos[0].Client.GetGrain<IProfileGrain>("from-first").SetAsync(ProfileState.Sample("first"));
        await silos[1].Client.GetGrain<IProfileGrain>("from-second").SetAsync(ProfileState.Sample("second"));
        (await ReadAsync(Storage(silos[1]), ProfileId("from-first"))).State.AssertEqual(ProfileState.Sample("first"));
        (await ReadAsync(Storage(silos[0]), ProfileId("from-second"))).State.AssertEqual(ProfileState.Sample("second"));
    }

    [Fact(Timeout = Timeout)]
    public async Task PostgresStoppedGivesStorageUnavailableAndStartedAgainWorks()
    {
        await using var server = await PostgresServer.StartAsync();
        connectionString = await server.CreateUniqueDatabaseAsync("outage");
        var cluster = await StartSiloAsync();
        var storage = Storage(cluster);
        var grain = cluster.Client.GetGrain<IProfileGrain>("erin");
        await grain.SetAsync(ProfileState.Sample("before"));

        var direct = await ReadAsync(storage, ProfileId("erin"));
        direct.State = ProfileState.Sample("during");
        var etag = direct.ETag;

        await server.StopAsync();

        var write = await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.WriteStateAsync("profile", ProfileId("erin"), direct));
        Assert.Contains(nameof(NpgsqlException), write.Message, StringComparison.Ordinal);
        Assert.Equal(etag, direct.ETag);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => storage.ReadStateAsync("profile", ProfileId("frank"), new GrainState<ProfileState>()));

        // Through IPersistentState and a grain call the caller sees the same type.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => grain.SetAsync(ProfileState.Sample("during")));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => cluster.Client.GetGrain<IProfileGrain>("frank").GetAsync());

        await server.StartAgainAsync();
        await grain.SetAsync(ProfileState.Sample("after"));
        await cluster.DeactivateAsync(grain);
        (await grain.GetAsync()).AssertEqual(ProfileState.Sample("after"));
    }

    [Fact(Timeout = Timeout)]
    public async Task TheConnectionStringIsNeverLogged()
    {
        const string Secret = "not-a-real-password-7f3a";
        connectionString = new NpgsqlConnectionStringBuilder(connectionString) { Password = Secret }.ConnectionString;
        var logs = new CapturingLoggerProvider();
        var cluster = await StartSiloAsync(silo => silo.Services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)));
        await cluster.Client.GetGrain<IProfileGrain>("grace").SetAsync(ProfileState.Sample("Grace"));
        await StopAsync(cluster);

        Assert.NotEmpty(logs.Messages);
        Assert.DoesNotContain(logs.Messages, message => message.Contains(Secret, StringComparison.Ordinal));
    }
}
