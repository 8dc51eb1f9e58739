using ChatCluster.Runtime.Clustering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Tests.Clustering;

public sealed class ClusterOptionsTests
{
    [Fact]
    public void Defaults_are_valid_local_and_detect_a_dead_silo_in_well_under_ten_seconds()
    {
        var options = ClusterOptions.Read(null);

        Assert.Equal(ClusterProvider.Local, options.Provider);
        Assert.Equal("chatcluster:{default}:", options.KeyPrefix);
        var detection = options.MissedProbes * options.ProbeInterval + options.ProbeTimeout + options.RefreshInterval;
        Assert.Equal(TimeSpan.FromSeconds(5), detection); // as documented on ClusterOptions
        Assert.True(options.DeathTimeout + options.RefreshInterval < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Settings_are_read_from_the_cluster_section()
    {
        var options = ClusterOptions.Read(Configuration(new()
        {
            ["ChatCluster:Cluster:Provider"] = "Redis",
            ["ChatCluster:Cluster:ClusterId"] = "prod-eu",
            ["ChatCluster:Cluster:ProbeInterval"] = "00:00:00.500",
            ["ChatCluster:Cluster:ProbeTimeout"] = "00:00:00.250",
            ["ChatCluster:Cluster:VotesForDeath"] = "3",
        }));

        Assert.Equal(ClusterProvider.Redis, options.Provider);
        Assert.Equal("chatcluster:{prod-eu}:", options.KeyPrefix);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.ProbeInterval);
        Assert.Equal(3, options.VotesForDeath);
    }

    [Fact]
    public void Bad_settings_are_named_by_their_configuration_key()
    {
        var error = Assert.Throws<OptionsValidationException>(() => ClusterOptions.Read(Configuration(new()
        {
            ["ChatCluster:Cluster:ClusterId"] = "has space",
            ["ChatCluster:Cluster:HeartbeatInterval"] = "00:00:03",
            ["ChatCluster:Cluster:DeathTimeout"] = "00:00:04",
            ["ChatCluster:Cluster:ProbeTimeout"] = "00:00:02",
            ["ChatCluster:Cluster:MissedProbes"] = "0",
            ["ChatCluster:Cluster:RefreshInterval"] = "00:00:00",
            ["ChatCluster:Cluster:SuspicionWindow"] = "00:00:01",
        })));

        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:ClusterId is \"has space\"", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:DeathTimeout is 00:00:04; it must be at least twice ChatCluster:Cluster:HeartbeatInterval", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:ProbeTimeout is 00:00:02; it must not be longer than ChatCluster:Cluster:ProbeInterval", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:MissedProbes is 0", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:RefreshInterval is 00:00:00;", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("ChatCluster:Cluster:SuspicionWindow is 00:00:01; it must be at least twice", StringComparison.Ordinal));
        Assert.Equal(6, error.Failures.Count());
    }

    [Fact]
    public void An_unknown_provider_fails_naming_the_key()
    {
        var error = Assert.ThrowsAny<Exception>(() => ClusterOptions.Read(Configuration(new() { ["ChatCluster:Cluster:Provider"] = "Zookeeper" })));

        Assert.Contains("ChatCluster:Cluster:Provider", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
