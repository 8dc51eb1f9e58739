using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using ChatCluster.Client;
using ChatCluster.Client.Tokens;
using ChatCluster.Silo;
using ChatCluster.Testing.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>The real silo host (runtime, chat, SQLite files in a temp folder, gateway) in the test process on a free loopback port.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    /// <summary>The signing key the tests know, so they can forge expired tokens with the right signature.</summary>
    public const string SigningKey = "gateway-tests-signing-key-0123456789abcdef";

    private readonly Dictionary<string, string?> settings;
    private readonly string directory;
    private WebApplication app;

    private GatewayHost(WebApplication app, int port, string directory, Dictionary<string, string?> settings)
    {
        this.app = app;
        this.directory = directory;
        this.settings = settings;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public HttpClient Http { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port}/ws");

    /// <param name="devTokens">Whether <c>POST /api/dev/token</c> is on.</param>
    /// <param name="configure">Extra or overriding settings, e.g. small limits for a test class.</param>
    public static async Task<GatewayHost> StartAsync(bool devTokens = true, Action<IDictionary<string, string?>>? configure = null)
    {
        var port = FreePort.Get();
        var directory = Directory.CreateTempSubdirectory("chatcluster-gateway-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["ChatCluster:Storage:Provider"] = "Sqlite",
            ["ChatCluster:Storage:SqliteDirectory"] = directory,
            ["ChatCluster:Gateway:SigningKey"] = SigningKey,
            ["ChatCluster:Gateway:DevTokens"] = devTokens ? "true" : "false",
        };
        configure?.Invoke(settings);
        return new GatewayHost(await StartAppAsync(port, settings), port, directory, settings);
    }

    /// <summary>
    /// Stops the host gracefully (its connections get 1012) and starts it again on the same port and files,
    /// as an operator restarts a gateway; <paramref name="whileDown"/> runs in between.
    /// </summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        await StopAppAsync(app);
        if (whileDown is not null)
        {
            await whileDown();
        }

        app = await StartAppAsync(Port, settings);
    }

    private static async Task<WebApplication> StartAppAsync(int port, Dictionary<string, string?> settings)
    {
        var app = SiloHost.Build([], builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(settings);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(timeout.Token);
        return app;
    }

    private static async Task StopAppAsync(WebApplication app)
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
    }

    public async Task<string> TokenAsync(string user)
    {
        using var response = await Http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative), new { user });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("token").GetString()!;
    }

    /// <summary>A connected, authenticated client of <paramref name="user"/>.</summary>
    public async Task<WsClient> ConnectAsync(string user) => await WsClient.ConnectAsync(WebSocketUri, await TokenAsync(user));

    /// <summary>The open connections, from the <c>chatcluster_gateway_connections</c> gauge in <c>GET /metrics</c>.</summary>
    public async Task<int> OpenConnectionsAsync() => (int)(await MetricAsync("chatcluster_gateway_connections") ?? throw new InvalidOperationException("no connections gauge"));

    /// <summary>Upgrades accepted <paramref name="via"/> <c>connection</c> or <c>http</c>, from <c>chatcluster_gateway_upgrades_total</c>.</summary>
    public async Task<long> UpgradesAsync(string via) => await MetricAsync($"chatcluster_gateway_upgrades_total{{via=\"{via}\"}}") ?? 0;

    /// <summary>The value of the <c>GET /metrics</c> line for <paramref name="series"/> (name and labels), or null when there is none.</summary>
    private async Task<long?> MetricAsync(string series)
    {
        var prefix = series + " ";
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
    }

    /// <summary>The open connections once the count stayed the same for half a second, so closes of earlier tests are not in flight.</summary>
    public async Task<int> SettledOpenConnectionsAsync()
    {
        var open = await OpenConnectionsAsync();
        for (var i = 0; i < 40; i++)
        {
            await Task.Delay(500);
            var now = await OpenConnectionsAsync();
            if (now == open)
            {
                return open;
            }

            open = now;
        }

        throw new InvalidOperationException("the connection count did not settle within 20 s");
    }

    /// <summary>Tries to open a socket with <paramref name="token"/>; the HTTP status of the refused upgrade.</summary>
    public async Task<int> RefusedStatusAsync(string? token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = token is null ? WebSocketUri : new Uri($"{WebSocketUri}?access_token={Uri.EscapeDataString(token)}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, timeout.Token));
        return (int)socket.HttpStatusCode;
    }

    /// <summary>A <see cref="ChatClient"/> of <paramref name="user"/> with short retry delays, connected.</summary>
    public async Task<ChatClient> ClientAsync(string user)
    {
        var client = new ChatClient(new ChatClientOptions
        {
            ServerUri = WebSocketUri,
            TokenProvider = DevTokens.For(Http, user),
            RetryDelay = TimeSpan.FromMilliseconds(50),
            MaxRetryDelay = TimeSpan.FromMilliseconds(500),
            RequestTimeout = TimeSpan.FromSeconds(20),
            SendTimeout = TimeSpan.FromSeconds(60),
        });
        await client.ConnectAsync();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAppAsync(app);
        Directory.Delete(directory, recursive: true);
    }
}
