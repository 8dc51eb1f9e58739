namespace ChatCluster.Runtime.Transport;

/// <summary>What a frame on a silo connection carries.</summary>
internal enum FrameKind : byte
{
    /// <summary>A grain call that expects a response with the same call id.</summary>
    Request = 1,

    /// <summary>The outcome of a request: a result, or an error when <see cref="FrameFlags.Error"/> is set.</summary>
    Response = 2,

    /// <summary>A grain call whose caller expects no response.</summary>
    OneWay = 3,

    /// <summary>A liveness probe; answered by a pong with the same call id.</summary>
    Ping = 4,

    /// <summary>The answer to a ping.</summary>
    Pong = 5,

    /// <summary>
    /// A grain's new owner asks its previous owner to let go of it (deactivate, state written) before it activates
    /// the grain; carries the grain and the asker's view version. Answered by <see cref="Released"/> with the same call id.
    /// </summary>
    Release = 6,

    /// <summary>The answer to a release: the grain is not active at the sender any more (or it could not wait longer).</summary>
    Released = 7,

    /// <summary>The sender is stopping: send no more requests on this connection; its responses still come.</summary>
    GoAway = 8,

    /// <summary>The answer to a go-away: no request follows it on this connection.</summary>
    GoAwayAck = 9,
}

/// <summary>Bits of a frame's flags byte.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,

    /// <summary>On a response: the payload is an error (exception type and message), not a result.</summary>
    Error = 1,
}
