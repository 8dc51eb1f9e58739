using System.Collections.Concurrent;
using System.Diagnostics;
using ChatCluster.Runtime.Clustering;
using Xunit.Abstractions;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// Several membership services in the test process, one per fake silo (each with its own Redis
/// connection), sharing one Redis table, with short intervals. Probes are answered by the fake network:
/// a probe succeeds when a running, serving silo has that exact address and it was not cut off.
/// </summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    private readonly PrivateRedis redis;
    private readonly ITestOutputHelper output;
    private readonly List<FakeSilo> silos = [];
    private readonly ConcurrentDictionary<SiloAddress, bool> unreachable = new();
    private int nextPort = 20_000;

    public FakeCluster(PrivateRedis redis, ITestOutputHelper output)
    {
        this.redis = redis;
        this.output = output;
        Table = new RedisMembershipTable(redis.Connect(), Options.KeyPrefix);
    }

    /// <summary>Test intervals: a killed silo should be dead in about 3 × 100 + 100 ms, known everywhere 100 ms later.</summary>
    public ClusterOptions Options { get; } = new()
    {
        Provider = ClusterProvider.Redis,
        ClusterId = PrivateRedis.NewClusterId(),
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        RefreshInterval = TimeSpan.FromMilliseconds(100),
        ProbeInterval = TimeSpan.FromMilliseconds(100),
        ProbeTimeout = TimeSpan.FromMilliseconds(100),
        MissedProbes = 3,
        VotesForDeath = 2,
        SuspicionWindow = TimeSpan.FromSeconds(2),
        DeathTimeout = TimeSpan.FromSeconds(3), // well above a stall of the test process, far above probe detection
    };

    /// <summary>A reader of the shared table, for assertions.</summary>
    public RedisMembershipTable Table { get; }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>The silos whose process still runs.</summary>
    public IReadOnlyList<FakeSilo> Running
    {
        get
        {
            lock (silos)
            {
                return [.. silos.Where(s => s.Running)];
            }
        }
    }

    public async Task<FakeSilo> StartSiloAsync()
    {
        var name = $"silo{silos.Count + 1}";
        var logger = new OutputLogger<MembershipService>(output, name, Clock);
        var service = new MembershipService(
            new RedisMembershipTable(redis.Connect(), Options.KeyPrefix), Options, "127.0.0.1", Interlocked.Increment(ref nextPort), ProbeAsync, logger);
        var silo = new FakeSilo(name, service, logger);
        lock (silos)
        {
            silos.Add(silo);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await service.StartAsync(timeout.Token);
        return silo;
    }

    /// <summary>Probes to <paramref name="address"/> fail from now on.</summary>
    public void Cut(SiloAddress address) => unreachable[address] = true;

    public Task<MembershipView> ReadAsync() => Table.ReadAsync(CancellationToken.None);

    /// <summary>Waits until every running silo serves and holds the table's current view, with <paramref name="active"/> active silos.</summary>
    public Task<MembershipView> WaitForAgreementAsync(int active, TimeSpan? timeout = null) =>
        WaitUntilAsync(async () =>
        {
            var view = await ReadAsync();
            return view.ActiveSilos.Count == active
                && Running.All(s => s.Service.IsServing && s.Service.View.Version == view.Version)
                ? view
                : null;
        }, $"{active} active silos and every running silo on the table's view", timeout);

    /// <summary>Polls <paramref name="check"/> until it returns a value; fails naming <paramref name="what"/> and every silo's view.</summary>
    public async Task<T> WaitUntilAsync<T>(Func<Task<T?>> check, string what, TimeSpan? timeout = null) where T : class
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (true)
        {
            if (await check() is { } result)
            {
                return result;
            }

            if (deadline.Elapsed > limit)
            {
                List<FakeSilo> all;
                lock (silos)
                {
                    all = [.. silos];
                }

                throw new TimeoutException(
                    $"Not within {limit}: {what}. Table: {await ReadAsync()}. Silos:\n{string.Join("\n", all)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Every silo raised views in strictly growing version order.</summary>
    public void AssertViewsOnlyGrew()
    {
        lock (silos)
        {
            foreach (var silo in silos)
            {
                var versions = silo.Versions;
                Assert.True(versions.Count > 0, $"{silo.Name} raised no view");
                for (var i = 1; i < versions.Count; i++)
                {
                    Assert.True(versions[i] > versions[i - 1], $"{silo.Name} raised view {versions[i]} after {versions[i - 1]}: {string.Join(", ", versions)}");
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<FakeSilo> all;
        lock (silos)
        {
            all = [.. silos];
        }

        foreach (var silo in all)
        {
            await silo.Service.DisposeAsync();
        }
    }

    private Task<bool> ProbeAsync(SiloAddress target, CancellationToken cancellationToken) =>
        Task.FromResult(!unreachable.ContainsKey(target) && Running.Any(s => s.Service.IsServing && s.Service.Address == target));
}
