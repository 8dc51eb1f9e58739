namespace ChatCluster.Gateway.Cluster;

/// <summary>
/// Configuration section <c>ChatCluster:Redis</c>: the Redis of cluster mode (membership, which silos and stand-alone
/// gateways read, and the Redis Streams log).
/// </summary>
public sealed class RedisSettings
{
    public const string Section = "ChatCluster:Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string (<c>127.0.0.1:6379,password=…</c>). A secret: give it by
    /// environment; it is never logged, nor quoted in messages.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>What is wrong with <see cref="Configuration"/> when <paramref name="neededBy"/> needs it; never quotes it.</summary>
    public IEnumerable<string> Validate(string neededBy)
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return $"{Section}:Configuration is required when {neededBy} "
                + "(a StackExchange.Redis configuration string, e.g. CHATCLUSTER__REDIS__CONFIGURATION=\"127.0.0.1:6379,password=…\").";
            yield break;
        }

        string? error;
        try
        {
            error = StackExchange.Redis.ConfigurationOptions.Parse(Configuration).EndPoints.Count == 0 ? "it names no host:port" : null;
        }
        catch (ArgumentException)
        {
            // Its message may quote the string, password included.
            error = "StackExchange.Redis could not parse it";
        }

        if (error is not null)
        {
            yield return $"{Section}:Configuration is not a valid StackExchange.Redis configuration string: {error} (e.g. \"127.0.0.1:6379,password=…\").";
        }
    }

    /// <summary>The configuration, parsed (call after <see cref="Validate"/> found nothing).</summary>
    public StackExchange.Redis.ConfigurationOptions Options() => StackExchange.Redis.ConfigurationOptions.Parse(Configuration!);

    /// <summary>The servers the configuration names, for log lines: never the password.</summary>
    public string Servers() =>
        string.Join(",", Options().EndPoints.Select(e => e switch
        {
            System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => e.ToString(),
        }));
}
