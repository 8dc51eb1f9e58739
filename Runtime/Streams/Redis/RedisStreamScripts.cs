using ChatCluster.Runtime.Redis;

namespace ChatCluster.Runtime.Streams.Redis;

/// <summary>The Lua scripts of the Redis Streams provider: each runs atomically on the server.</summary>
internal static class RedisStreamScripts
{
    /// <summary>
    /// Lua that fails the script with error <c>FENCED</c>, before it changes anything, unless the silo incarnation
    /// <c>ARGV[argument]</c> is listed in the membership hash <c>KEYS[key]</c> and not dead. No check when that key is not
    /// given or the argument is empty.
    /// </summary>
    public static string Fence(int key, int argument) => $"""
        if KEYS[{key}] and ARGV[{argument}] ~= '' then
          local entry = redis.call('HGET', KEYS[{key}], ARGV[{argument}])
          if (not entry) or cjson.decode(entry).status == 'Dead' then
            return redis.error_reply('FENCED ' .. ARGV[{argument}] .. ' is dead or not a member of the cluster')
          end
        end

        """;

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

    // Removes the entries every consumer group of the stream acknowledged: up to the lowest checkpoint, but never an
    // entry still pending in a group (another consumer of the group may hold it, even below the group's checkpoint).
    private const string TrimFunction = """
        local function trim(stream, checkpoints)
          local groups = redis.call('XINFO', 'GROUPS', stream)
          if #groups == 0 then return 0 end
          local keep = nil -- the lowest id that must stay
          for _, group in ipairs(groups) do
            local name = nil
            for i = 1, #group, 2 do
              if group[i] == 'name' then name = group[i + 1] end
            end
            local checkpoint = redis.call('HGET', checkpoints, name)
            if not checkpoint then return 0 end
            local _, seq, ms = parse(checkpoint)
            local first = ms .. '-' .. string.format('%d', seq + 1)
            local pending = redis.call('XPENDING', stream, name)
            if pending[1] > 0 and less(pending[2], first) then first = pending[2] end
            if (not keep) or less(first, keep) then keep = first end
          end
          return redis.call('XTRIM', stream, 'MINID', keep)
        end

        """;

    /// <summary>
    /// XACK of the given ids, then the group's checkpoint moves forward (never back) to the position, then — when
    /// asked — the stream is trimmed as <see cref="Trim"/> does, all in one round trip. With a membership hash and an
    /// owner, nothing happens (error FENCED) unless the owner's entry is there and not dead.
    /// KEYS: stream, checkpoints hash, [membership hash]. ARGV: group, position, trim ('1' or '0'), owner ('' = unchecked), ids….
    /// Returns the number of entries acknowledged.
    /// </summary>
    public static RedisScript Acknowledge { get; } = new(Compare + TrimFunction + Fence(key: 3, argument: 4) + """
        local acked = 0
        local chunk = 1000
        for first = 5, #ARGV, chunk do
          local last = math.min(first + chunk - 1, #ARGV)
          acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, first, last))
        end
        local old = redis.call('HGET', KEYS[2], ARGV[1])
        if (not old) or less(old, ARGV[2]) then
          redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
        end
        if ARGV[3] == '1' then trim(KEYS[1], KEYS[2]) end
        return acked
        """);

    /// <summary>
    /// What a group has handled: its checkpoint and the lowest id still pending in it (read by some consumer, not yet
    /// acknowledged). A new owner of a partition may acknowledge past entries an old owner still holds, so the
    /// checkpoint alone can run ahead of what was handled. KEYS: stream, checkpoints hash. ARGV: group.
    /// Returns { checkpoint or nil, lowest pending id or nil }.
    /// </summary>
    public static RedisScript Handled { get; } = new("""
        local checkpoint = redis.call('HGET', KEYS[2], ARGV[1])
        local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
        local first = false
        if ok and pending[1] > 0 then first = pending[2] end
        return { checkpoint, first }
        """);

    /// <summary>
    /// Trims the stream to the lowest checkpoint over every consumer group of the stream (XINFO GROUPS): removes the
    /// entries every group acknowledged, nothing else. A group without a checkpoint keeps everything, and so does an
    /// entry still pending in a group (XPENDING), even below its checkpoint (another consumer of the group may hold it).
    /// KEYS: stream, checkpoints hash. Returns the number of entries removed.
    /// </summary>
    public static RedisScript Trim { get; } = new(Compare + TrimFunction + """
        return trim(KEYS[1], KEYS[2])
        """);
}
