namespace ChatCluster.Grains.Timelines;

/// <summary>Argument checks shared by the user and group grains, answered as PROTOCOL.md's bad_frame.</summary>
internal static class SendValidation
{
    public const int MaxClientMsgIdLength = 64;
    public const int MaxPageSize = 500;

    public static SendResult? Check(string? clientMsgId, string? body)
    {
        if (string.IsNullOrEmpty(clientMsgId) || clientMsgId.Length > MaxClientMsgIdLength)
        {
            return SendResult.Refused(ChatErrorCode.BadRequest, "'clientMsgId' must be 1-64 characters.");
        }

        if (string.IsNullOrEmpty(body) || body[0] != '{')
        {
            return SendResult.Refused(ChatErrorCode.BadRequest, "'body' must be a JSON object.");
        }

        return null;
    }

    public static SyncResult? CheckPage(long afterSeq, int limit) =>
        afterSeq < 0 || limit is < 1 or > MaxPageSize
            ? SyncResult.Refused(ChatErrorCode.BadRequest, "'afterSeq' must be an integer >= 0 and 'limit' between 1 and 500.")
            : null;
}
