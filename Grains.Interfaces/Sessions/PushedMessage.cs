namespace ChatCluster.Grains;

/// <summary>One message for some connections of one gateway (see <see cref="IGatewayObserver.Deliver"/>).</summary>
/// <param name="Message">The message, pushed as PROTOCOL.md's <c>msg</c>.</param>
/// <param name="ConnectionIds">The gateway's connections to push it to.</param>
[GenerateSerializer, Immutable, Alias("chat.PushedMessage")]
public sealed record PushedMessage(ChatMessage Message, string[] ConnectionIds);
