using ChatCluster.Runtime.Redis;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Runtime.Tests.Clustering;

/// <summary>
/// A redis-server of a test class's own (a class fixture), and the connections its tests open, all
/// closed when the class is done. Each test uses its own cluster id, so tests do not see each other's members.
/// </summary>
public sealed class PrivateRedis : IAsyncLifetime
{
    private readonly List<RedisConnection> connections = [];
    private RedisServer? server;

    public RedisServer Server => server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => server = await RedisServer.StartAsync();

    public RedisConnection Connect()
    {
        var connection = new RedisConnection(new RedisOptions { Endpoint = Server.Endpoint });
        lock (connections)
        {
            connections.Add(connection);
        }

        return connection;
    }

    public static string NewClusterId() => "test-" + Guid.NewGuid().ToString("N")[..12];

    public async Task DisposeAsync()
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
