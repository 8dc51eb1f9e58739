namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>One host shared by a test class; tests use their own user and group ids so they do not meet.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private GatewayHost? host;

    public GatewayHost Host => host ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => host = await GatewayHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
