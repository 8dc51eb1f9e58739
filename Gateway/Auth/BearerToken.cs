using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ChatCluster.Gateway.Auth;

/// <summary>Finds a request's bearer token: <c>?access_token=</c> (browsers cannot set WebSocket headers) or <c>Authorization: Bearer</c>.</summary>
public static class BearerToken
{
    public const string QueryParameter = "access_token";

    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Query.TryGetValue(QueryParameter, out var query);
        return From(query, request.Headers.Authorization);
    }

    /// <summary>
    /// The token from the values of the <c>access_token</c> query parameter (query keys match case-insensitively, as
    /// ASP.NET Core's) and of the <c>Authorization</c> header. The query wins; more than one value of either is none.
    /// </summary>
    public static string? From(StringValues accessTokenParameter, StringValues authorizationHeader)
    {
        if (accessTokenParameter.Count == 1 && !string.IsNullOrEmpty(accessTokenParameter[0]))
        {
            return accessTokenParameter[0];
        }

        if (authorizationHeader.Count != 1)
        {
            return null;
        }

        const string Scheme = "Bearer ";
        var value = authorizationHeader[0];
        return value is not null && value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? value[Scheme.Length..].Trim() : null;
    }
}
