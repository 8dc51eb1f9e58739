using ChatCluster.Runtime;

namespace ChatCluster.Grains;

/// <summary>
/// The push entry of one gateway process (key: its <see cref="Session.GatewayId"/>, which starts with the
/// gateway's transport endpoint, <c>host:port/…</c>). Pinned: it lives in that gateway and never moves, so
/// a silo's push handler reaches a user's connection in one hop wherever it is.
/// </summary>
[GrainType("gateway")]
[PinnedGrain]
public interface IGatewayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Queues <paramref name="message"/> on each of the gateway's connections in <paramref name="connectionIds"/>
    /// and returns the ids it does not hold (closed, or from an earlier run of the gateway): sessions to forget.
    /// </summary>
    Task<IReadOnlyList<string>> Deliver(IReadOnlyList<string> connectionIds, ChatMessage message);
}
