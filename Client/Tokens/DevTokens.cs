using System.Net.Http.Json;
using System.Text.Json;

namespace ChatCluster.Client.Tokens;

/// <summary>
/// Tokens from a gateway's development endpoint (<c>POST /api/dev/token</c>), which exists only in
/// development and embedded mode. For demos, tests and benches; production clients get tokens from
/// their identity provider.
/// </summary>
public static class DevTokens
{
    /// <summary>A token provider for <see cref="ChatClientOptions.TokenProvider"/> that asks <paramref name="http"/>'s gateway for <paramref name="user"/>'s token.</summary>
    /// <param name="http">A client whose <c>BaseAddress</c> is the gateway's HTTP address, e.g. <c>http://127.0.0.1:5000</c>.</param>
    /// <param name="user">The user id to sign in as.</param>
    public static Func<CancellationToken, ValueTask<string>> For(HttpClient http, string user)
    {
        ArgumentNullException.ThrowIfNull(http);
        return async cancellationToken =>
        {
            using var response = await http.PostAsJsonAsync(new Uri("/api/dev/token", UriKind.Relative), new { user }, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            return body.GetProperty("token").GetString() ?? throw new InvalidOperationException("the token endpoint answered without a token");
        };
    }
}
