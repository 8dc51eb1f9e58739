using ChatCluster.Runtime.Hosting;
using ChatCluster.Runtime.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>Settings of ChatCluster:Transport: defaults, and bad values rejected with the key named.</summary>
public sealed class TransportOptionsTests
{
    [Fact]
    public void Defaults_listen_on_loopback_on_a_free_port()
    {
        var options = new TransportOptions();

        Assert.Equal("127.0.0.1", options.ListenAddress);
        Assert.Equal(0, options.Port);
        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("ListenAddress", "not-an-ip")]
    [InlineData("Port", "70000")]
    [InlineData("MaxPendingCalls", "0")]
    [InlineData("ConnectTimeout", "00:00:00")]
    public void Bad_setting_fails_with_its_key_named(string key, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"ChatCluster:Transport:{key}"] = value })
            .Build();

        var error = Assert.Throws<OptionsValidationException>(() => new ServiceCollection().AddGrainRuntime().AddTransport(configuration));

        Assert.Contains($"ChatCluster:Transport:{key}", error.Message, StringComparison.Ordinal);
    }
}
