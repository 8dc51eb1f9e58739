using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Runtime.Tests.Redis;

/// <summary>Connections to test servers, and keys no other test uses (the shared server is shared by all test classes).</summary>
internal static class RedisTesting
{
    public const int Timeout = 60_000;

    public static RedisConnection Connect(RedisServer server, Action<RedisOptions>? configure = null, RecordingLogger<RedisConnection>? logger = null)
    {
        var options = new RedisOptions { Endpoint = server.Endpoint, Password = server.Password };
        configure?.Invoke(options);
        return new RedisConnection(options, logger);
    }

    public static async Task<RedisConnection> ConnectSharedAsync(Action<RedisOptions>? configure = null) =>
        Connect(await SharedServers.Redis, configure);

    public static string Key(string name) => $"test:{name}:{Guid.NewGuid():N}";
}
