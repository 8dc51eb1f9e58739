using Microsoft.AspNetCore.Http;

namespace ChatCluster.Gateway.Auth;

/// <summary>Finds a request's bearer token: <c>?access_token=</c> (browsers cannot set WebSocket headers) or <c>Authorization: Bearer</c>.</summary>
public static class BearerToken
{
    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Query.TryGetValue("access_token", out var query) && query.Count == 1 && !string.IsNullOrEmpty(query[0]))
        {
            return query[0];
        }

        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return null;
        }

        const string Scheme = "Bearer ";
        var value = header[0];
        return value is not null && value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? value[Scheme.Length..].Trim() : null;
    }
}
