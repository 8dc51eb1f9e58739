using ChatCluster.Runtime.Clustering;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>The conformance suite on Redis (a private server); each reader has its own connection, as another silo would.</summary>
public sealed class RedisMembershipTableConformanceTests(PrivateRedis redis) : MembershipTableConformanceTests, IClassFixture<PrivateRedis>
{
    protected override Task<IMembershipTable> CreateTableAsync() =>
        Task.FromResult<IMembershipTable>(new RedisMembershipTable(redis.Connect(), new ClusterOptions { ClusterId = PrivateRedis.NewClusterId() }.KeyPrefix));

    protected override IMembershipTable OpenReader(IMembershipTable table) =>
        new RedisMembershipTable(redis.Connect(), ((RedisMembershipTable)table).KeyPrefix);

    [Fact(Timeout = 30_000)]
    public async Task Entries_live_under_the_cluster_prefix_and_clusters_on_one_server_do_not_see_each_other()
    {
        var one = (RedisMembershipTable)await CreateTableAsync();
        var two = (RedisMembershipTable)await CreateTableAsync();
        var joined = await one.JoinAsync(new SiloAddress("10.0.0.1", 11111, 1), CancellationToken.None);

        Assert.Equal(joined.Version, (await one.ReadAsync(CancellationToken.None)).Version);
        Assert.Equal(0, (await two.ReadAsync(CancellationToken.None)).Version);
        Assert.Empty((await two.ReadAsync(CancellationToken.None)).Entries);
        var connection = redis.Connect();
        Assert.Equal(1, (await connection.ExecuteAsync("HLEN", one.KeyPrefix + "members")).AsInt64());
        Assert.Equal(joined.Version, (await connection.ExecuteAsync("GET", one.KeyPrefix + "version")).AsInt64());
        Assert.StartsWith("chatcluster:{test-", one.KeyPrefix, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Versions_of_a_lost_table_start_again_above_every_version_seen_before()
    {
        var table = (RedisMembershipTable)await CreateTableAsync();
        var before = await table.JoinAsync(new SiloAddress("10.0.0.1", 11111, 1), CancellationToken.None);
        await redis.Connect().ExecuteAsync("DEL", table.KeyPrefix + "members", table.KeyPrefix + "version");
        await Task.Delay(5); // the version restarts at the server's clock in ms, which has moved on

        var after = await table.JoinAsync(new SiloAddress("10.0.0.1", 11111, 2), CancellationToken.None);

        Assert.True(after.Version > before.Version, $"{after.Version} should be above {before.Version}");
        Assert.InRange(before.Version, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds());
    }
}
