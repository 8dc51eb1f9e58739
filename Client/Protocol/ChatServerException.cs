namespace ChatCluster.Client.Protocol;

/// <summary>The server answered a request with an <c>error</c> frame (PROTOCOL.md error codes).</summary>
public sealed class ChatServerException : Exception
{
    public ChatServerException()
        : this("internal", "the server refused the request")
    {
    }

    public ChatServerException(string message)
        : this("internal", message)
    {
    }

    public ChatServerException(string message, Exception innerException)
        : base(message, innerException) => Code = "internal";

    public ChatServerException(string code, string message)
        : base($"{code}: {message}") => Code = code;

    /// <summary>The protocol's error code: <c>bad_frame</c>, <c>forbidden</c>, <c>not_found</c>, <c>conflict</c>, <c>rate_limited</c>, <c>unavailable</c>, …</summary>
    public string Code { get; }

    /// <summary>Whether the same request may simply be sent again later (<c>unavailable</c>, <c>rate_limited</c>).</summary>
    public bool IsTransient => Code is "unavailable" or "rate_limited";
}
