namespace ChatCluster.Testing.Servers;

/// <summary>
/// One PostgreSQL and one Redis server per test process, started on first use and shared by all
/// test classes. Tests must not stop or restart them (use a private server for chaos tests) and
/// should isolate themselves (<see cref="PostgresServer.CreateUniqueDatabaseAsync"/>, key prefixes).
/// Both are killed and their directories deleted when the process exits (each server registers
/// its own process-exit hook).
/// </summary>
public static class SharedServers
{
    private static readonly Lazy<Task<PostgresServer>> LazyPostgres =
        new(() => Task.Run(() => PostgresServer.StartAsync(CancellationToken.None)), LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<Task<RedisServer>> LazyRedis =
        new(() => Task.Run(() => RedisServer.StartAsync(appendOnly: false, CancellationToken.None)), LazyThreadSafetyMode.ExecutionAndPublication);

    public static Task<PostgresServer> Postgres => LazyPostgres.Value;

    public static Task<RedisServer> Redis => LazyRedis.Value;
}
