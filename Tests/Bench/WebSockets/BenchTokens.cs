using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatCluster.Bench.WebSockets;

/// <summary>Signs gateway tokens locally (HS256, <c>sub</c> = user id, issuer <c>chatcluster</c>) with the key the silo was given.</summary>
internal sealed class BenchTokens(string signingKey, string issuer = "chatcluster")
{
    private readonly JsonWebTokenHandler handler = new();
    private readonly SigningCredentials credentials = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);

    public string For(string userId)
    {
        var now = DateTime.UtcNow;
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = new Dictionary<string, object> { [JwtRegisteredClaimNames.Sub] = userId },
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(2),
            SigningCredentials = credentials,
        });
    }
}
