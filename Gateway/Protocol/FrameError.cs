namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// Why a client frame was refused, ready to become an <c>error</c> frame. <see cref="Id"/> is the
/// frame's id when it had a valid one, so the client can match the error to its request.
/// </summary>
public sealed record FrameError(string? Id, string Code, string Message);
