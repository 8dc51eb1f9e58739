using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Clustering;

/// <summary>
/// The Lua scripts of <see cref="RedisMembershipTable"/>. KEYS[1] is the hash of entries (field: the
/// address, value: JSON with status, heartbeat, votes), KEYS[2] the version counter. They are the only
/// writers of both keys, so a change and its version bump happen together; times come from Redis TIME.
/// A missing version key is first set to the server's clock in milliseconds, so that after the table is
/// lost (a restart without persistence, a flush) versions still grow past every version silos saw before.
/// Each returns { outcome, version, declared dead (0/1) }, except <see cref="Read"/>.
/// </summary>
internal static class RedisMembershipScripts
{
    private const string Prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function version()
          return tonumber(redis.call('GET', KEYS[2]) or '0')
        end
        local function bump()
          if redis.call('EXISTS', KEYS[2]) == 0 then
            redis.call('SET', KEYS[2], string.format('%d', now_ms()))
          end
          return redis.call('INCR', KEYS[2])
        end
        local function result(outcome)
          return { outcome, version(), 0 }
        end
        local function load(address)
          local raw = redis.call('HGET', KEYS[1], address)
          if raw then return cjson.decode(raw) end
          return nil
        end
        local function save(address, entry)
          redis.call('HSET', KEYS[1], address, cjson.encode(entry))
        end
        local rank = { Joining = 1, Active = 2, ShuttingDown = 3, Dead = 4 }

        """;

    /// <summary>Returns { version, now in ms, { address, json, ... } }.</summary>
    public static readonly RedisScript Read = new(Prelude + """
        return { version(), now_ms(), redis.call('HGETALL', KEYS[1]) }
        """);

    /// <summary>ARGV: address, its endpoint (host:port), its epoch.</summary>
    public static readonly RedisScript Join = new(Prelude + """
        local existing = load(ARGV[1])
        if existing then
          if existing.status == 'Dead' then return result('Dead') end
          return result('AlreadyExists')
        end
        local epoch = tonumber(ARGV[3])
        local all = redis.call('HGETALL', KEYS[1])
        local older = {}
        local previous = -1
        for i = 1, #all, 2 do
          local endpoint, other = string.match(all[i], '^(.*)@(%d+)$')
          if endpoint == ARGV[2] then
            other = tonumber(other)
            if other > epoch then return result('Superseded') end
            older[#older + 1] = { all[i], cjson.decode(all[i + 1]), other }
            if other > previous then previous = other end
          end
        end
        -- the previous epoch stays as a dead tombstone; earlier ones go
        for _, old in ipairs(older) do
          if old[3] == previous then
            if old[2].status ~= 'Dead' then
              old[2].status = 'Dead'
              save(old[1], old[2])
            end
          else
            redis.call('HDEL', KEYS[1], old[1])
          end
        end
        save(ARGV[1], { status = 'Joining', heartbeat = now_ms(), votes = {} })
        return { 'Applied', bump(), 0 }
        """);

    /// <summary>ARGV: address, new status name.</summary>
    public static readonly RedisScript SetStatus = new(Prelude + """
        local entry = load(ARGV[1])
        if not entry then return result('NotFound') end
        if entry.status == 'Dead' then return result('Dead') end
        if entry.status == ARGV[2] then return result('Unchanged') end
        if rank[ARGV[2]] < rank[entry.status] then return result('InvalidTransition') end
        entry.status = ARGV[2]
        entry.heartbeat = now_ms()
        save(ARGV[1], entry)
        return { 'Applied', bump(), 0 }
        """);

    /// <summary>ARGV: address. Does not bump the version.</summary>
    public static readonly RedisScript Heartbeat = new(Prelude + """
        local entry = load(ARGV[1])
        if not entry then return result('NotFound') end
        if entry.status == 'Dead' then return result('Dead') end
        entry.heartbeat = now_ms()
        save(ARGV[1], entry)
        return result('Applied')
        """);

    /// <summary>ARGV: suspect, voter, votes for death, window in ms.</summary>
    public static readonly RedisScript Suspect = new(Prelude + """
        local voter = load(ARGV[2])
        if not voter or voter.status ~= 'Active' then return result('VoterNotActive') end
        local entry = load(ARGV[1])
        if not entry then return result('NotFound') end
        if entry.status == 'Dead' then return result('Dead') end
        local now = now_ms()
        local cutoff = now - tonumber(ARGV[4])
        local votes = {}
        for _, vote in ipairs(entry.votes or {}) do
          if vote.time > cutoff and vote.voter ~= ARGV[2] then votes[#votes + 1] = vote end
        end
        votes[#votes + 1] = { voter = ARGV[2], time = now }
        local others = 0
        local all = redis.call('HGETALL', KEYS[1])
        for i = 1, #all, 2 do
          if all[i] ~= ARGV[1] and cjson.decode(all[i + 1]).status == 'Active' then others = others + 1 end
        end
        local needed = math.max(1, math.min(tonumber(ARGV[3]), others))
        local dead = 0
        if #votes >= needed then
          entry.status = 'Dead'
          dead = 1
        end
        entry.votes = votes
        save(ARGV[1], entry)
        return { 'Applied', bump(), dead }
        """);
}
