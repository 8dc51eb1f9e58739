using System.Text.Json;
using ChatCluster.Gateway.Auth;
using ChatCluster.Grains;
using Microsoft.AspNetCore.Http;

namespace ChatCluster.Gateway.Endpoints;

/// <summary>
/// <c>POST /api/dev/token</c> with <c>{"user":"alice"}</c>: a token for anyone who asks. Mapped only
/// when <see cref="GatewayOptions.DevTokens"/> is on (development and embedded mode).
/// </summary>
public static class DevTokenEndpoint
{
    public static async Task<IResult> HandleAsync(HttpRequest request, TokenService tokens)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(tokens);
        string? user;
        try
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
            user = body.RootElement.ValueKind == JsonValueKind.Object
                && body.RootElement.TryGetProperty("user", out var value)
                && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            user = null;
        }

        if (!ChatIds.IsValid(user))
        {
            return Results.Json(
                new { error = "bad_request", message = "the body must be {\"user\":ID}, ID 1-64 characters of A-Z a-z 0-9 _ . -" },
                statusCode: StatusCodes.Status400BadRequest);
        }

        var (token, expiresAt) = tokens.Issue(user!);
        return Results.Json(new { token, expiresAt });
    }
}
