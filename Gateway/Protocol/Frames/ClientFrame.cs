namespace ChatCluster.Gateway.Protocol;

/// <summary>
/// A well-formed frame from a client (PROTOCOL.md "Frames from the client"). <see cref="Id"/> is the
/// client's request id, echoed in the reply; null when the frame carried none.
/// </summary>
public abstract record ClientFrame(string? Id);
