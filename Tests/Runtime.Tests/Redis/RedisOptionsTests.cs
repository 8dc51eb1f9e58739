using ChatCluster.Runtime.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Tests.Redis;

public sealed class RedisOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:6379", "127.0.0.1", 6379)]
    [InlineData("redis", "redis", 6379)]
    [InlineData("cache.internal:6380", "cache.internal", 6380)]
    [InlineData("[::1]:7000", "::1", 7000)]
    [InlineData("[::1]", "::1", 6379)]
    public void Parses_host_and_port(string endpoint, string host, int port)
    {
        var options = new RedisOptions { Endpoint = endpoint };

        Assert.Empty(options.Validate());
        Assert.Equal((host, port), options.ParseEndpoint());
    }

    [Fact]
    public void Bad_settings_are_named_by_their_configuration_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Redis:Endpoint"] = "localhost:99999",
            ["ChatCluster:Redis:Database"] = "-1",
            ["ChatCluster:Redis:CommandTimeout"] = "00:00:00",
            ["ChatCluster:Redis:MaxPendingCommands"] = "0",
            ["ChatCluster:Redis:Password"] = "hunter2-secret",
        }).Build();

        var error = Assert.Throws<OptionsValidationException>(() => RedisOptions.Read(configuration));

        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Redis:Endpoint is \"localhost:99999\"", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Redis:Database is -1", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Redis:CommandTimeout is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Redis:MaxPendingCommands is 0", StringComparison.Ordinal));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_the_section_and_never_shows_the_password()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatCluster:Redis:Endpoint"] = "10.0.0.5:6380",
            ["ChatCluster:Redis:Password"] = "hunter2-secret",
            ["ChatCluster:Redis:Database"] = "2",
        }).Build();

        var options = RedisOptions.Read(configuration, o => o.CommandTimeout = TimeSpan.FromSeconds(1));

        Assert.Equal(("10.0.0.5", 6380), options.ParseEndpoint());
        Assert.Equal(2, options.Database);
        Assert.Equal(TimeSpan.FromSeconds(1), options.CommandTimeout);
        Assert.Equal("Redis at 10.0.0.5:6380, database 2, with a password", options.ToString());
    }

    [Fact]
    public void A_connection_refuses_bad_options_up_front()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new RedisConnection(new RedisOptions { Endpoint = "a:b:c" }));

        Assert.Contains("ChatCluster:Redis:Endpoint", error.Message, StringComparison.Ordinal);
    }
}
