namespace ChatCluster.Bench.RemoteCalls;

/// <summary>What the remote-calls bench runs; see <see cref="RemoteCallsCommand"/> for each option.</summary>
internal sealed record RemoteCallSettings(int Grains, int Callers, double Seconds, double Rate, bool Client);
