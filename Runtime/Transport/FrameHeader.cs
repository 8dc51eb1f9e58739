namespace ChatCluster.Runtime.Transport;

/// <summary>
/// The header of one frame. Requests name the call as (grain type, key, method id); the other kinds
/// leave those empty. <see cref="TimeoutMilliseconds"/> is the caller's remaining time (0 for none).
/// </summary>
internal readonly record struct FrameHeader(
    FrameKind Kind,
    FrameFlags Flags,
    long CallId,
    int TimeoutMilliseconds,
    int MethodId,
    string GrainType,
    string Key);
