using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>PROTOCOL.md "Transport": tokens are checked before the upgrade; the dev token endpoint.</summary>
public sealed class AuthTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayHost Host => fixture.Host;

    [Fact(Timeout = 60_000)]
    public async Task No_token_is_refused_with_401_before_the_upgrade()
    {
        Assert.Equal(401, await Host.RefusedStatusAsync(null));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_token_with_a_bad_signature_is_refused_with_401()
    {
        var token = Forge("auth-mallory", "another-signing-key-of-enough-length-0123456789", DateTime.UtcNow.AddHours(1));
        Assert.Equal(401, await Host.RefusedStatusAsync(token));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_expired_token_is_refused_with_401()
    {
        var token = Forge("auth-alice", GatewayHost.SigningKey, DateTime.UtcNow.AddHours(-1));
        Assert.Equal(401, await Host.RefusedStatusAsync(token));
    }

    [Fact(Timeout = 60_000)]
    public async Task Garbage_is_refused_with_401()
    {
        Assert.Equal(401, await Host.RefusedStatusAsync("not.a.jwt"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_valid_token_in_the_query_opens_a_socket()
    {
        var token = await Host.TokenAsync("auth-query");
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"{Host.WebSocketUri}?access_token={token}"), timeout.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, socket.State);
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_plain_http_request_to_ws_is_400()
    {
        var token = await Host.TokenAsync("auth-plain");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/ws?access_token=" + token, UriKind.Relative));
        using var response = await Host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_dev_token_endpoint_issues_a_token_for_the_user()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var response = await Host.Http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative), new { user = "auth-dev" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = new JsonWebToken(body.GetProperty("token").GetString());
        Assert.Equal("auth-dev", token.Subject);
        Assert.Equal("chatcluster", token.Issuer);
        var expiresAt = body.GetProperty("expiresAt").GetInt64();
        Assert.InRange(expiresAt, before + 3_500_000, before + 3_700_000);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("{\"user\":\"bad id!\"}")]
    [InlineData("{\"user\":\"\"}")]
    [InlineData("{\"name\":\"alice\"}")]
    [InlineData("not json")]
    public async Task The_dev_token_endpoint_refuses_a_bad_user_with_400(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Host.Http.PostAsync(new Uri("/api/dev/token", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.TryGetProperty("error", out _));
    }

    [Fact(Timeout = 120_000)]
    public async Task Without_dev_tokens_the_endpoint_is_404()
    {
        await using var host = await GatewayHost.StartAsync(devTokens: false);
        using var response = await host.Http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative), new { user = "alice" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static string Forge(string user, string key, DateTime expires) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "chatcluster",
        Claims = new Dictionary<string, object> { ["sub"] = user },
        IssuedAt = expires.AddHours(-2),
        NotBefore = expires.AddHours(-2),
        Expires = expires,
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
    });
}
