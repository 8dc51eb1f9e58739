namespace ChatCluster.Runtime.Transport;

/// <summary>
/// A frame waiting for a connection's writer: the call it carries is serialized only when written,
/// so queueing costs no buffer. <see cref="Error"/> is set for a response that failed before it had a call.
/// </summary>
internal readonly record struct OutgoingFrame(FrameKind Kind, long CallId, IRemotableCall? Call, GrainId Target, Exception? Error);
