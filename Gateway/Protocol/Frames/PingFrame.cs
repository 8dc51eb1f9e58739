namespace ChatCluster.Gateway.Protocol;

/// <summary><c>ping</c>: answered with <c>pong</c>; lets a client check the connection end to end.</summary>
public sealed record PingFrame(string? Id) : ClientFrame(Id);
