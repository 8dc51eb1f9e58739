using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>The Lua scripts of the Redis Streams provider: each runs atomically on the server.</summary>
internal static class RedisStreamScripts
{
    // Entry ids compare as (ms, seq); Lua numbers are doubles, exact for ms (13 digits) and any realistic seq.
    private const string Compare = """
        local function parse(id)
          local dash = string.find(id, '-', 1, true)
          return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1)), string.sub(id, 1, dash - 1)
        end
        local function less(a, b)
          local ams, aseq = parse(a)
          local bms, bseq = parse(b)
          return ams < bms or (ams == bms and aseq < bseq)
        end

        """;

    /// <summary>
    /// XACK of the given ids, then the group's checkpoint moves forward (never back) to the position.
    /// KEYS: stream, checkpoints hash. ARGV: group, position, ids…. Returns the number of entries acknowledged.
    /// </summary>
    public static RedisScript Acknowledge { get; } = new(Compare + """
        local acked = 0
        local chunk = 1000
        for first = 3, #ARGV, chunk do
          local last = math.min(first + chunk - 1, #ARGV)
          acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, first, last))
        end
        local old = redis.call('HGET', KEYS[2], ARGV[1])
        if (not old) or less(old, ARGV[2]) then
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
        end
        return acked
        """);

    /// <summary>
    /// Trims the stream to the lowest checkpoint over every consumer group of the stream (XINFO GROUPS): removes the
    /// entries every group acknowledged, nothing else. A group without a checkpoint keeps everything, and so does an
    /// entry still pending in a group (XPENDING), even below its checkpoint (another consumer of the group may hold it).
    /// KEYS: stream, checkpoints hash. Returns the number of entries removed.
    /// </summary>
    public static RedisScript Trim { get; } = new(Compare + """
        local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
        if #groups == 0 then return 0 end
        local keep = nil -- the lowest id that must stay
        for _, group in ipairs(groups) do
          local name = nil
          for i = 1, #group, 2 do
            if group[i] == 'name' then name = group[i + 1] end
          end
          local checkpoint = redis.call('HGET', KEYS[2], name)
          if not checkpoint then return 0 end
          local _, seq, ms = parse(checkpoint)
          local first = ms .. '-' .. string.format('%d', seq + 1)
          local pending = redis.call('XPENDING', KEYS[1], name)
          if pending[1] > 0 and less(pending[2], first) then first = pending[2] end
          if (not keep) or less(first, keep) then keep = first end
        end
        return redis.call('XTRIM', KEYS[1], 'MINID', keep)
        """);
}
