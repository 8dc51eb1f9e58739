namespace ChatCluster.Runtime.Transport;

/// <summary>
/// The header of one frame. Requests name the call as (grain type, key, method id); the other kinds
/// leave those empty (a release names the grain too). <see cref="TimeoutMilliseconds"/> is the caller's remaining
/// time (0 for none); <see cref="ViewVersion"/> is the version of the sender's membership view (0 without clustering),
/// so that a silo behind the sender catches up before it routes the call.
/// </summary>
internal readonly record struct FrameHeader(
    FrameKind Kind,
    FrameFlags Flags,
    long CallId,
    int TimeoutMilliseconds,
    int MethodId,
    string GrainType,
    string Key,
    long ViewVersion = 0);
