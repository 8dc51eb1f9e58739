namespace ChatCluster.Gateway.Protocol;

/// <summary>The configurable size limits of PROTOCOL.md; the defaults are the documented ones.</summary>
public sealed record ProtocolLimits
{
    public static ProtocolLimits Default { get; } = new();

    /// <summary>Largest <c>send</c> body, in bytes of its JSON text as sent.</summary>
    public int MaxBodyBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// Largest frame, in bytes. Enforced by the connection (which closes with 1009), not by the
    /// parser: the parser only ever sees frames that already fit.
    /// </summary>
    public int MaxFrameBytes { get; init; } = 64 * 1024;

    /// <summary>Most user ids one <c>group.create</c> may list.</summary>
    public int MaxGroupMembers { get; init; } = 10_000;

    /// <summary>Longest request id and clientMsgId, in characters.</summary>
    public int MaxIdLength { get; init; } = 64;
}
