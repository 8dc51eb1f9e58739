namespace ChatCluster.Grains;

/// <summary>A refused operation: the code and a message for the client.</summary>
[GenerateSerializer, Immutable, Alias("chat.ChatError")]
public sealed record ChatError(ChatErrorCode Code, string Message);
