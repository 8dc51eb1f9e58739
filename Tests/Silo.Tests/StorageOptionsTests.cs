using ChatCluster.Silo.Configuration;
using Npgsql;

namespace ChatCluster.Silo.Tests;

/// <summary>The PostgreSQL connection string: a bounded pool by default, the operator's own bound kept, junk refused unquoted.</summary>
public sealed class StorageOptionsTests
{
    [Theory]
    [InlineData("Host=127.0.0.1;Database=chat", StorageOptions.DefaultPostgresPoolSize)]
    [InlineData("Host=127.0.0.1;Database=chat;Maximum Pool Size=7", 7)]
    [InlineData("Host=127.0.0.1;Database=chat;MaxPoolSize=9", 9)]
    [InlineData("Host=127.0.0.1;Database=chat;maximum pool size=150", 150)]
    public void The_pool_is_bounded_unless_the_connection_string_sets_its_own_bound(string connectionString, int expected)
    {
        var options = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = connectionString };
        Assert.Empty(options.Validate());
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(options.PooledPostgresConnectionString()).MaxPoolSize);
    }

    [Fact]
    public void A_connection_string_Npgsql_cannot_read_is_refused_without_quoting_it()
    {
        var options = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = "Host=127.0.0.1;Password=s3cret;Bogus Key=1" };
        var error = Assert.Single(options.Validate());
        Assert.Contains("PostgresConnectionString is not a valid Npgsql connection string", error);
        Assert.DoesNotContain("s3cret", error);
    }
}
