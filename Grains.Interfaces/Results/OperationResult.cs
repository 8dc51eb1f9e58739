namespace ChatCluster.Grains;

/// <summary>The outcome of an operation that returns nothing but success or an error.</summary>
[GenerateSerializer, Immutable, Alias("chat.OperationResult")]
public sealed record OperationResult(ChatError? Error)
{
    public static readonly OperationResult Ok = new((ChatError?)null);

    public static OperationResult Refused(ChatErrorCode code, string message) => new(new ChatError(code, message));
}
