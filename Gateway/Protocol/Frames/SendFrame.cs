using ChatCluster.Grains;

namespace ChatCluster.Gateway.Protocol;

/// <summary><c>send</c>: a message to a user or a group. <see cref="Body"/> is the JSON object's raw text, byte for byte as sent.</summary>
public sealed record SendFrame(string? Id, Timeline To, string ClientMsgId, string Body) : ClientFrame(Id);
