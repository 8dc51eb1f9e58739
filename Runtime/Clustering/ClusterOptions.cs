using System.Globalization;
using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// Settings of cluster membership: configuration section <c>ChatCluster:Cluster</c>.
/// </summary>
/// <remarks>
/// <para><b>Detection time with the defaults.</b> A silo that dies is probed by up to
/// <see cref="ProbedSilos"/> peers, each every <see cref="ProbeInterval"/> (1 s). A peer votes after
/// <see cref="MissedProbes"/> (3) failures in a row, which takes at most
/// MissedProbes × ProbeInterval + ProbeTimeout = 3 × 1 s + 1 s = <b>4 s</b> after the death (about 2–3 s
/// when probes are refused at once, as to a dead process). The peers probe independently, so the
/// <see cref="VotesForDeath"/> (2) votes land within about the same time and the second declares it dead;
/// every other silo sees that in its next refresh, within <see cref="RefreshInterval"/> (1 s).
/// So a killed silo is declared dead within about 4 s and known dead everywhere within about <b>5 s</b>.
/// Without working probes (e.g. no peer probes it), a heartbeat older than <see cref="DeathTimeout"/> (5 s)
/// gets votes at the voters' next refresh: within about 6–7 s.</para>
/// <para>A silo declared dead learns it at its next heartbeat or refresh (within 1 s with the defaults)
/// and is fenced at once. A silo that cannot heartbeat for <see cref="DeathTimeout"/> (e.g. cut off from
/// Redis) fences itself: it stops serving and rejoins with a new epoch once the table answers again.</para>
/// </remarks>
public sealed class ClusterOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Cluster";

    /// <summary>Where membership is kept: <c>Local</c> (default, one process) or <c>Redis</c>.</summary>
    public ClusterProvider Provider { get; set; } = ClusterProvider.Local;

    /// <summary>
    /// <c>Silo</c> (default): this process joins and hosts grains. <c>Client</c>: it only watches membership and
    /// calls the silos, as a gateway process does.
    /// </summary>
    public ClusterRole Role { get; set; } = ClusterRole.Silo;

    /// <summary>Names the cluster; silos with the same id on one Redis form one cluster. Letters, digits, '-', '_' and '.'.</summary>
    public string ClusterId { get; set; } = "default";

    /// <summary>How often a silo records that it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a silo reads the table (it also reads it at once after each change of its own).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a silo probes its peers.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one probe may take before it counts as failed; at most <see cref="ProbeInterval"/>.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many peers each silo probes: the next ones after it in the ordered list of active silos.</summary>
    public int ProbedSilos { get; set; } = 3;

    /// <summary>Failed probes in a row after which a silo votes that the peer is dead.</summary>
    public int MissedProbes { get; set; } = 3;

    /// <summary>
    /// Votes within <see cref="SuspicionWindow"/> that declare a silo dead. When fewer other silos are
    /// active, all of them (at least one) suffice: in a two-silo cluster the survivor's vote is enough.
    /// </summary>
    public int VotesForDeath { get; set; } = 2;

    /// <summary>How long a vote counts; older votes are dropped.</summary>
    public TimeSpan SuspicionWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A heartbeat older than this (by the table's clock) lets peers vote the silo dead; a silo that has
    /// not managed to heartbeat for this long fences itself. At least twice <see cref="HeartbeatInterval"/>.
    /// </summary>
    public TimeSpan DeathTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Redis key prefix of this cluster, <c>chatcluster:{ClusterId}:</c>; the braces make it a Redis Cluster hash tag, so both keys share a slot.</summary>
    public string KeyPrefix => $"chatcluster:{{{ClusterId}}}:";

    /// <summary>Reads and checks the section <see cref="Section"/> of <paramref name="configuration"/>, then <paramref name="configure"/>.</summary>
    /// <exception cref="OptionsValidationException">A setting is bad; the message names it.</exception>
    public static ClusterOptions Read(IConfiguration? configuration, Action<ClusterOptions>? configure = null) =>
        CheckedSettings.Read(configuration, Section, configure, o => o.Validate());

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            yield return $"{Section}:{nameof(Provider)} is {Provider}; it must be Local or Redis.";
        }

        if (!Enum.IsDefined(Role))
        {
            yield return $"{Section}:{nameof(Role)} is {Role}; it must be Silo or Client.";
        }

        if (string.IsNullOrEmpty(ClusterId) || ClusterId.Length > 100
            || !ClusterId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            yield return $"{Section}:{nameof(ClusterId)} is \"{ClusterId}\"; it must be 1 to 100 letters, digits, '-', '_' or '.' (e.g. \"prod-eu\").";
        }

        var min = TimeSpan.FromMilliseconds(10);
        var max = TimeSpan.FromHours(1);
        foreach (var (name, value) in new[]
        {
            (nameof(HeartbeatInterval), HeartbeatInterval),
            (nameof(RefreshInterval), RefreshInterval),
            (nameof(ProbeInterval), ProbeInterval),
            (nameof(ProbeTimeout), ProbeTimeout),
            (nameof(SuspicionWindow), SuspicionWindow),
            (nameof(DeathTimeout), DeathTimeout),
        })
        {
            if (value < min || value > max)
            {
                yield return $"{Section}:{name} is {value}; it must be between 00:00:00.010 and 01:00:00 (e.g. \"00:00:01\").";
            }
        }

        foreach (var (name, value) in new[] { (nameof(ProbedSilos), ProbedSilos), (nameof(MissedProbes), MissedProbes), (nameof(VotesForDeath), VotesForDeath) })
        {
            if (value is < 1 or > 100)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"{Section}:{name} is {value}; it must be between 1 and 100.");
            }
        }

        if (ProbeTimeout > ProbeInterval)
        {
            yield return $"{Section}:{nameof(ProbeTimeout)} is {ProbeTimeout}; it must not be longer than {Section}:{nameof(ProbeInterval)} ({ProbeInterval}), or probe rounds would overlap.";
        }

        if (DeathTimeout < 2 * HeartbeatInterval)
        {
            yield return $"{Section}:{nameof(DeathTimeout)} is {DeathTimeout}; it must be at least twice {Section}:{nameof(HeartbeatInterval)} ({HeartbeatInterval}), or one late heartbeat would fence a healthy silo.";
        }

        if (SuspicionWindow < 2 * ProbeInterval)
        {
            yield return $"{Section}:{nameof(SuspicionWindow)} is {SuspicionWindow}; it must be at least twice {Section}:{nameof(ProbeInterval)} ({ProbeInterval}), or votes would expire before others can join them.";
        }
    }
}
