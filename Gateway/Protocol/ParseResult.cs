using System.Diagnostics.CodeAnalysis;

namespace ChatCluster.Gateway.Protocol;

/// <summary>The outcome of parsing one client frame: exactly one of <see cref="Frame"/> and <see cref="Error"/> is set.</summary>
public readonly record struct ParseResult
{
    private ParseResult(ClientFrame? frame, FrameError? error)
    {
        Frame = frame;
        Error = error;
    }

    public ClientFrame? Frame { get; }

    public FrameError? Error { get; }

    [MemberNotNullWhen(true, nameof(Frame))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsFrame => Frame is not null;

    public static ParseResult Ok(ClientFrame frame) => new(frame, null);

    public static ParseResult Fail(FrameError error) => new(null, error);
}
