namespace ChatCluster.Grains;

/// <summary>A refused operation: the code and a message for the client.</summary>
public sealed record ChatError(ChatErrorCode Code, string Message);
