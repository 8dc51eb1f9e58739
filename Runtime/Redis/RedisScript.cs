using System.Security.Cryptography;
using System.Text;

namespace ChatCluster.Runtime.Redis;

/// <summary>
/// A Lua script run with EVALSHA by its SHA1 (computed once here), falling back to EVAL — which also
/// loads it into the server's script cache — when the server answers NOSCRIPT (first use, after a
/// restart or SCRIPT FLUSH). Scripts run atomically on the server: use one for read-modify-write.
/// </summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        Source = source;
        // Redis names cached scripts by SHA1; this is an identifier, not a security measure.
#pragma warning disable CA5350
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));
#pragma warning restore CA5350
    }

    /// <summary>The Lua source.</summary>
    public string Source { get; }

    /// <summary>The lower-case hex SHA1 of the source, as Redis names it.</summary>
    public string Sha1 { get; }

    /// <summary>Runs the script with <paramref name="keys"/> (KEYS[1..]) and <paramref name="arguments"/> (ARGV[1..]).</summary>
    /// <exception cref="RedisErrorException">The script failed (e.g. a Lua error or redis.error_reply).</exception>
    public async Task<RedisReply> EvaluateAsync(RedisConnection connection, IReadOnlyList<RedisArg> keys, IReadOnlyList<RedisArg> arguments,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(arguments);
        try
        {
            return await connection.ExecuteAsync(Command("EVALSHA", Sha1, keys, arguments), cancellationToken).ConfigureAwait(false);
        }
        catch (RedisErrorException error) when (error.Kind == "NOSCRIPT")
        {
            return await connection.ExecuteAsync(Command("EVAL", Source, keys, arguments), cancellationToken).ConfigureAwait(false);
        }
    }

    private static RedisArg[] Command(string name, string script, IReadOnlyList<RedisArg> keys, IReadOnlyList<RedisArg> arguments)
    {
        var command = new RedisArg[3 + keys.Count + arguments.Count];
        command[0] = name;
        command[1] = script;
        command[2] = keys.Count;
        for (var i = 0; i < keys.Count; i++)
        {
            command[3 + i] = keys[i];
        }

        for (var i = 0; i < arguments.Count; i++)
        {
            command[3 + keys.Count + i] = arguments[i];
        }

        return command;
    }
}
