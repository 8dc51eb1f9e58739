using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Clustering;

/// <summary>The log messages of <see cref="MembershipService"/>.</summary>
public sealed partial class MembershipService
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} joined the cluster as Joining (view {Version})")]
    private static partial void LogJoined(ILogger logger, SiloAddress silo, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} set its status to {Status}: {Outcome} (view {Version})")]
    private static partial void LogStatusChanged(ILogger logger, SiloAddress silo, SiloStatus status, MembershipOutcome outcome, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} left the cluster")]
    private static partial void LogLeft(ILogger logger, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo {Silo} sees membership view {Version} with {Active} active silos")]
    private static partial void LogViewChanged(ILogger logger, SiloAddress? silo, long version, int active);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo {Silo}: probe of {Peer} failed ({Missed} in a row)")]
    private static partial void LogProbeFailed(ILogger logger, SiloAddress silo, SiloAddress peer, int missed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Voter} votes that {Suspect} is dead: {Reason} (view {Version})")]
    private static partial void LogVoted(ILogger logger, SiloAddress voter, SiloAddress suspect, string reason, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Suspect} is declared dead; the deciding vote was {Voter}'s (view {Version})")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress suspect, SiloAddress voter, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vote of {Voter} against {Suspect} was refused: {Outcome}")]
    private static partial void LogVoteRefused(ILogger logger, SiloAddress voter, SiloAddress suspect, MembershipOutcome outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "Silo {Silo} is fenced and stops serving: {Reason}. It rejoins with a new epoch")]
    private static partial void LogFenced(ILogger logger, SiloAddress silo, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Fenced} rejoined the cluster as {Silo}")]
    private static partial void LogRejoined(ILogger logger, SiloAddress fenced, SiloAddress silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Fenced} could not rejoin yet, retrying: {Reason}")]
    private static partial void LogRejoinFailed(ILogger logger, SiloAddress fenced, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} could not heartbeat: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, SiloAddress silo, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Membership {Task} of silo {Silo} failed: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string task, SiloAddress? silo, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A membership {Event} handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, string @event, Exception exception);
}
