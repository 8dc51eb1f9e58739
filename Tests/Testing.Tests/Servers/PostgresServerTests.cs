using ChatCluster.Testing.Servers;
using Npgsql;

namespace ChatCluster.Testing.Tests.Servers;

public sealed class PostgresServerTests
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task StartsAnswersQueriesAndCreatesIsolatedDatabases()
    {
        await using var server = await PostgresServer.StartAsync();

        Assert.Equal(1, await ScalarAsync<int>(server.ConnectionString, "SELECT 1"));
        Assert.Contains($"Port={server.Port}", server.ConnectionString, StringComparison.Ordinal);
        Assert.Equal("chatcluster", await ScalarAsync<string>(server.ConnectionString, "SELECT current_database()"));

        var fresh = await server.CreateDatabaseAsync("fresh_db");
        await ExecuteAsync(fresh, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (42)");
        Assert.Equal(42, await ScalarAsync<int>(fresh, "SELECT id FROM t"));
        Assert.Equal(0L, await ScalarAsync<long>(server.ConnectionString, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"));

        var unique = await server.CreateUniqueDatabaseAsync();
        Assert.NotEqual(fresh, unique);
        Assert.Equal(1, await ScalarAsync<int>(unique, "SELECT 1"));
    }

    [Fact(Timeout = Timeout)]
    public async Task StopAndStartKeepsPortAndData()
    {
        await using var server = await PostgresServer.StartAsync();
        await ExecuteAsync(server.ConnectionString, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')");

        await server.StopAsync();
        Assert.False(server.IsRunning);
        Assert.False(FreePort.IsAcceptingConnections(server.Port));

        await server.StartAgainAsync();
        Assert.True(server.IsRunning);
        Assert.Equal("survives", await ScalarAsync<string>(server.ConnectionString, "SELECT v FROM kept"));

        await server.KillAsync();
        await server.StartAgainAsync();
        Assert.Equal("survives", await ScalarAsync<string>(server.ConnectionString, "SELECT v FROM kept"));
    }

    [Fact(Timeout = Timeout)]
    public async Task DisposeStopsTheServerAndDeletesTheDirectory()
    {
        var server = await PostgresServer.StartAsync();
        var port = server.Port;
        var directory = server.DirectoryPath;
        Assert.True(Directory.Exists(directory));
        Assert.True(FreePort.IsAcceptingConnections(port));

        await server.DisposeAsync();

        Assert.False(FreePort.IsAcceptingConnections(port));
        Assert.False(Directory.Exists(directory));
        await server.DisposeAsync(); // idempotent
    }

    [Fact(Timeout = Timeout)]
    public async Task SharedServerIsOneInstance()
    {
        var first = await SharedServers.Postgres;
        var second = await SharedServers.Postgres;
        Assert.Same(first, second);
        Assert.Equal(1, await ScalarAsync<int>(first.ConnectionString, "SELECT 1"));
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
