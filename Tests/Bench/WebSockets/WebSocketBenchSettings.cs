namespace ChatCluster.Bench.WebSockets;

/// <summary>The <c>ws-connections</c> options.</summary>
internal sealed record WebSocketBenchSettings(
    int Connections,
    int Users,
    double HoldSeconds,
    int Concurrency,
    int SourceAddresses,
    double PingEverySeconds,
    TimeSpan KeepAliveInterval,
    Uri? Url,
    int? Pid,
    string? SigningKey);
