using ChatCluster.Gateway.Connections;
using ChatCluster.Grains;
using ChatCluster.Runtime;

namespace ChatCluster.Gateway.Push;

/// <summary>
/// This gateway's push entry for other processes (see <see cref="IGatewayGrain"/>): hands a message to the
/// connections it holds. Reentrant: it never awaits, and pushes must not queue behind each other.
/// </summary>
[Reentrant]
public sealed class GatewayGrain(ConnectionRegistry registry) : Grain, IGatewayGrain
{
    public Task<IReadOnlyList<string>> Deliver(IReadOnlyList<string> connectionIds, ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        ArgumentNullException.ThrowIfNull(message);
        // An id of an earlier run of this gateway (same endpoint, before a restart) holds no connection here.
        return Task.FromResult(GetPrimaryKeyString() == registry.GatewayId ? registry.Deliver(connectionIds, message) : connectionIds);
    }
}
