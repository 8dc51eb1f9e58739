using System.Security.Cryptography;
using System.Text;
using ChatCluster.Grains;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatCluster.Gateway.Auth;

/// <summary>Issues and checks the gateway's HS256 JWTs; the user id is the <c>sub</c> claim.</summary>
public sealed partial class TokenService
{
    private readonly JsonWebTokenHandler handler = new();
    private readonly GatewayOptions options;
    private readonly TimeProvider time;
    private readonly SigningCredentials credentials;
    private readonly TokenValidationParameters validation;

    public TokenService(GatewayOptions options, TimeProvider time, ILogger<TokenService> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.time = time;
        byte[] key;
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            // Only reached with DevTokens on (validation refuses it otherwise). Tokens die with the process.
            key = RandomNumberGenerator.GetBytes(GatewayOptions.MinSigningKeyBytes);
            LogGeneratedKey(logger, GatewayOptions.Section);
        }
        else
        {
            key = Encoding.UTF8.GetBytes(options.SigningKey);
        }

        var securityKey = new SymmetricSecurityKey(key);
        credentials = new SigningCredentials(securityKey, SecurityAlgorithms.HmacSha256);
        validation = new TokenValidationParameters
        {
            IssuerSigningKey = securityKey,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidIssuer = options.Issuer,
            ValidateAudience = false,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>A token for <paramref name="userId"/> (a valid id) and when it expires, Unix milliseconds.</summary>
    public (string Token, long ExpiresAt) Issue(string userId)
    {
        if (!ChatIds.IsValid(userId))
        {
            throw new ArgumentException("not a valid user id", nameof(userId));
        }

        var now = time.GetUtcNow();
        var expires = now + options.TokenLifetime;
        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = userId },
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = credentials,
        });
        return (token, expires.ToUnixTimeMilliseconds());
    }

    /// <summary>The user id of a valid, unexpired token with a valid <c>sub</c>; null for anything else.</summary>
    public async Task<string?> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var result = await handler.ValidateTokenAsync(token, validation).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }

        // exp is required: RequireExpirationTime covers it, checked again so a change there cannot drop it.
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _))
        {
            return null;
        }

        return jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var subject) && ChatIds.IsValid(subject) ? subject : null;
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "{Section}:SigningKey is empty and DevTokens is on: generated a random signing key for this process; tokens end with it")]
    private static partial void LogGeneratedKey(ILogger logger, string section);
}
