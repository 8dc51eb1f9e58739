using System.Text.Json;
using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// The membership table in Redis: a hash of entries (<c>{prefix}members</c>, one JSON value per silo
/// address) and a version counter (<c>{prefix}version</c>), both written only by Lua scripts, so that every
/// change and its version bump are atomic and all silos see one order of views. Heartbeat and vote
/// times come from the Redis server's clock (TIME), so the silos' clocks do not matter. The first change
/// of an empty table starts the version at the server's clock in milliseconds rather than at 1, so versions
/// keep growing even if Redis loses the table (the silos then find their entries gone and rejoin).
/// </summary>
public sealed class RedisMembershipTable : IMembershipTable
{
    private readonly RedisConnection connection;
    private readonly RedisArg[] keys;

    /// <param name="connection">The connection to use (not disposed by the table).</param>
    /// <param name="keyPrefix">Put before both keys, e.g. <c>chatcluster:{cluster-1}:</c> (<see cref="ClusterOptions.KeyPrefix"/>), so clusters can share a server.</param>
    public RedisMembershipTable(RedisConnection connection, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        this.connection = connection;
        KeyPrefix = keyPrefix;
        keys = [MembersKey(keyPrefix), keyPrefix + "version"];
    }

    public string KeyPrefix { get; }

    /// <summary>The hash of entries under <paramref name="keyPrefix"/>: field the silo incarnation, value its entry as JSON with a <c>status</c>.</summary>
    public static string MembersKey(string keyPrefix) => keyPrefix + "members";

    public async Task<MembershipView> ReadAsync(CancellationToken cancellationToken)
    {
        var reply = (await RedisMembershipScripts.Read.EvaluateAsync(connection, keys, [], cancellationToken).ConfigureAwait(false)).AsArray();
        var fields = reply[2].AsArray();
        var entries = new List<MembershipEntry>(fields.Count / 2);
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            entries.Add(ParseEntry(fields[i].AsString()!, fields[i + 1].AsString()!));
        }

        return new MembershipView(reply[0].AsInt64(), DateTimeOffset.FromUnixTimeMilliseconds(reply[1].AsInt64()), entries);
    }

    public Task<MembershipWriteResult> JoinAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return WriteAsync(RedisMembershipScripts.Join, [address.ToString(), address.Endpoint, address.Epoch], cancellationToken);
    }

    public Task<MembershipWriteResult> SetStatusAsync(SiloAddress address, SiloStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!Enum.IsDefined(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Not a silo status.");
        }

        return WriteAsync(RedisMembershipScripts.SetStatus, [address.ToString(), status.ToString()], cancellationToken);
    }

    public Task<MembershipWriteResult> HeartbeatAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        return WriteAsync(RedisMembershipScripts.Heartbeat, [address.ToString()], cancellationToken);
    }

    public Task<MembershipWriteResult> SuspectAsync(SiloAddress suspect, SiloAddress voter, int votesForDeath, TimeSpan window,
        CancellationToken cancellationToken)
    {
        MembershipRules.CheckVote(suspect, voter, votesForDeath, window);
        return WriteAsync(RedisMembershipScripts.Suspect,
            [suspect.ToString(), voter.ToString(), votesForDeath, (long)Math.Ceiling(window.TotalMilliseconds)], cancellationToken);
    }

    private async Task<MembershipWriteResult> WriteAsync(RedisScript script, RedisArg[] arguments, CancellationToken cancellationToken)
    {
        var reply = (await script.EvaluateAsync(connection, keys, arguments, cancellationToken).ConfigureAwait(false)).AsArray();
        var outcome = Enum.Parse<MembershipOutcome>(reply[0].AsString()!);
        return new MembershipWriteResult(outcome, reply[1].AsInt64(), reply[2].AsInt64() == 1);
    }

    /// <summary>Reads one stored entry; Lua's cjson writes an empty vote list as <c>{}</c>, so that is accepted too.</summary>
    private static MembershipEntry ParseEntry(string field, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var votes = new List<SuspicionVote>();
        if (root.TryGetProperty("votes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var vote in list.EnumerateArray())
            {
                votes.Add(new SuspicionVote(SiloAddress.Parse(vote.GetProperty("voter").GetString()!), Time(vote.GetProperty("time"))));
            }
        }

        return new MembershipEntry(
            SiloAddress.Parse(field),
            Enum.Parse<SiloStatus>(root.GetProperty("status").GetString()!),
            Time(root.GetProperty("heartbeat")),
            votes);
    }

    // cjson may write a large integer in exponent form, so read it as a double (exact for milliseconds).
    private static DateTimeOffset Time(JsonElement milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds.GetDouble());
}
