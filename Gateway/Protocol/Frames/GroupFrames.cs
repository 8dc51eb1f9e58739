namespace ChatCluster.Gateway.Protocol;

// The group.* frames: one small family, all keyed by a group id (ChatIds rules).

/// <summary><c>group.create</c>: creates <see cref="Group"/>; the caller becomes owner and member, along with <see cref="Members"/>.</summary>
public sealed record GroupCreateFrame(string? Id, string Group, IReadOnlyList<string> Members) : ClientFrame(Id);

/// <summary><c>group.join</c>: the caller joins <see cref="Group"/>.</summary>
public sealed record GroupJoinFrame(string? Id, string Group) : ClientFrame(Id);

/// <summary><c>group.leave</c>: the caller leaves <see cref="Group"/>.</summary>
public sealed record GroupLeaveFrame(string? Id, string Group) : ClientFrame(Id);

/// <summary><c>group.members</c>: the members and owner of <see cref="Group"/>.</summary>
public sealed record GroupMembersFrame(string? Id, string Group) : ClientFrame(Id);
