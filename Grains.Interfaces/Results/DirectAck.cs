namespace ChatCluster.Grains;

/// <summary>
/// What the recipient's grain answers the sender's grain for a direct message (<see cref="IUserGrain.AcceptDirect"/>).
/// </summary>
/// <param name="Recipient">The recipient's copy: its seq in the recipient's timeline, and the message's msgId and time.</param>
/// <param name="SenderCopyPublished">
/// True when the sender's copy went into the log in the same record as the recipient's; false when the recipient had
/// the message already (a resend) and published nothing: the sender's copy went into the log with the first attempt.
/// </param>
[GenerateSerializer, Immutable, Alias("chat.DirectAck")]
public sealed record DirectAck(SendAck Recipient, bool SenderCopyPublished);
