using ChatCluster.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;

namespace ChatCluster.Storage.Tests;

/// <summary>The conformance suite on the embedded SQLite storage, plus its own guarantees.</summary>
public sealed class SqliteGrainStorageTests : GrainStorageConformanceTests
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), $"chatcluster-storage-tests-{Guid.NewGuid():N}");

    /// <summary>In a folder that does not exist yet: the storage creates it.</summary>
    private string DatabasePath => Path.Combine(directory, "nested", "grains.db");

    public override Task InitializeAsync() => Task.CompletedTask;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    protected override void AddStorage(ISiloBuilder silo) => silo.AddSqliteGrainStorage(TestStorage.Name, DatabasePath);

    [Fact(Timeout = Timeout)]
    public async Task CreatesTheDatabaseFolderAndFileAtStartUp()
    {
        Assert.False(Directory.Exists(directory));
        await StartSiloAsync();
        Assert.True(File.Exists(DatabasePath));
    }

    [Fact(Timeout = Timeout)]
    public async Task ConcurrentWritersAllLandAndExactlyOneOfTwoRacingWritesWins()
    {
        var storage = Storage(await StartSiloAsync());

        // Many grains at once: they share the writer's transactions.
        var states = Enumerable.Range(0, 500).Select(i => (Id: ProfileId($"user-{i}"), State: new GrainState<ProfileState>(ProfileState.Sample($"user {i}")))).ToArray();
        await Task.WhenAll(states.Select(s => storage.WriteStateAsync("profile", s.Id, s.State)));
        await Task.WhenAll(states.Select(s => storage.WriteStateAsync("profile", s.Id, s.State)));
        foreach (var (id, state) in states)
        {
            var read = await ReadAsync(storage, id);
            read.State.AssertEqual(state.State!);
            Assert.Equal("2", read.ETag);
        }

        // Pairs of writers with the same etag, submitted together: one wins, one gets InconsistentStateException.
        var races = await Task.WhenAll(states.Select(async s =>
        {
            var a = new GrainState<ProfileState>(ProfileState.Sample("a"), s.State.ETag);
            var b = new GrainState<ProfileState>(ProfileState.Sample("b"), s.State.ETag);
            var writes = new[] { storage.WriteStateAsync("profile", s.Id, a), storage.WriteStateAsync("profile", s.Id, b) };
            try
            {
                await Task.WhenAll(writes);
            }
            catch (InconsistentStateException)
            {
            }

            return writes.Count(w => w.IsCompletedSuccessfully);
        }));
        Assert.All(races, winners => Assert.Equal(1, winners));
    }

    [Fact(Timeout = Timeout)]
    public async Task AcknowledgedWritesAreInTheFilesWhileTheProcessStillRuns()
    {
        // What a kill -9 leaves behind is what the files hold now: copy them while the writer is open
        // (nothing checkpointed, nothing closed) and read the copy with a fresh storage.
        var storage = Storage(await StartSiloAsync());
        var written = Enumerable.Range(0, 50).Select(i => (Id: ProfileId($"k{i}"), State: new GrainState<ProfileState>(ProfileState.Sample($"k{i}")))).ToArray();
        await Task.WhenAll(written.Select(w => storage.WriteStateAsync("profile", w.Id, w.State)));

        var copyDirectory = Path.Combine(directory, "copy");
        Directory.CreateDirectory(copyDirectory);
        foreach (var file in new[] { "grains.db", "grains.db-wal" })
        {
            File.Copy(Path.Combine(Path.GetDirectoryName(DatabasePath)!, file), Path.Combine(copyDirectory, file));
        }

        using var copy = new SqliteStateDatabase(Path.Combine(copyDirectory, "grains.db"), NullLogger.Instance);
        copy.Open();
        foreach (var (id, state) in written)
        {
            var row = copy.Read(new StateKey(id.Type.ToString()!, id.Key.ToString()!, "profile"));
            Assert.NotNull(row);
            Assert.Equal(long.Parse(state.ETag!, System.Globalization.CultureInfo.InvariantCulture), row.Version);
        }
    }
}
