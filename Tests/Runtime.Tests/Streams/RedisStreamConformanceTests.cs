using ChatCluster.Runtime.Redis;
using ChatCluster.Runtime.Streams.Redis;
using ChatCluster.Runtime.Tests.Clustering;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// The conformance suite on the Redis Streams provider, on a private redis-server per class; each test has a
/// key prefix of its own. A restart is a new provider on the same prefix with another consumer name, so the
/// reopened readers must claim what the first one left pending.
/// </summary>
public sealed class RedisStreamConformanceTests(PrivateRedis redis) : StreamConformanceTests, IClassFixture<PrivateRedis>
{
    private readonly string prefix = "test-" + Guid.NewGuid().ToString("N")[..12];

    protected override IStreamProvider CreateProvider(int partitions) => Create(partitions);

    protected override IStreamProvider Reopen(IStreamProvider provider) => Create(provider.Partitions);

    private RedisStreamProvider Create(int partitions) => new(
        new RedisOptions { Endpoint = redis.Server.Endpoint },
        new RedisStreamOptions { Partitions = partitions, KeyPrefix = prefix, ConsumerName = "consumer-" + Guid.NewGuid().ToString("N")[..8] });
}
