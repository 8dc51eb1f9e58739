namespace ChatCluster.Grains;

/// <summary>Why a chat operation was refused; each maps to one error code of PROTOCOL.md.</summary>
[GenerateSerializer, Alias("chat.ChatErrorCode")]
public enum ChatErrorCode
{
    /// <summary><c>bad_frame</c>: an argument is missing or malformed.</summary>
    BadRequest,
    /// <summary><c>forbidden</c>: e.g. not a member of the group.</summary>
    Forbidden,
    /// <summary><c>not_found</c>: e.g. no such group.</summary>
    NotFound,
    /// <summary><c>conflict</c>: e.g. the group already exists.</summary>
    Conflict,
    /// <summary><c>unavailable</c>: the cluster cannot take it now; safe to retry with the same clientMsgId.</summary>
    Unavailable,
}
