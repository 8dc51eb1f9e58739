using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary>Every error code of PROTOCOL.md, and the mapping from the grains' <see cref="ChatErrorCode"/>.</summary>
public static class ErrorCodes
{
    public const string BadFrame = "bad_frame";
    public const string TooLarge = "too_large";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Conflict = "conflict";
    public const string RateLimited = "rate_limited";
    public const string Unavailable = "unavailable";
    public const string Internal = "internal";

    /// <summary>All codes, in PROTOCOL.md's order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [BadFrame, TooLarge, Unauthorized, Forbidden, NotFound, Conflict, RateLimited, Unavailable, Internal];

    /// <summary>The protocol code for a grain's refusal; an unknown value is <c>internal</c> rather than a guess.</summary>
    public static string From(ChatErrorCode code) => code switch
    {
        ChatErrorCode.BadRequest => BadFrame,
        ChatErrorCode.Forbidden => Forbidden,
        ChatErrorCode.NotFound => NotFound,
        ChatErrorCode.Conflict => Conflict,
        ChatErrorCode.Unavailable => Unavailable,
        _ => Internal,
    };
}
