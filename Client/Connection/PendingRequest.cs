using System.Text.Json;

namespace ChatCluster.Client.Connection;

/// <summary>
/// A request waiting for its reply. It outlives connections: after a reconnect its frame (same
/// <c>id</c>, same <c>clientMsgId</c>) is sent again, unless <see cref="Repeatable"/> is false.
/// </summary>
internal sealed class PendingRequest(long number, byte[] frame, bool repeatable, string? clientMsgId)
    : TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>Orders resends as the requests were first made.</summary>
    public long Number { get; } = number;

    public byte[] Frame { get; } = frame;

    /// <summary>Whether sending the frame twice is harmless (send is, by its clientMsgId; group.create is not).</summary>
    public bool Repeatable { get; } = repeatable;

    /// <summary>Set for a <c>send</c>: its ack tells the message feed which seq is the client's own.</summary>
    public string? ClientMsgId { get; } = clientMsgId;
}
