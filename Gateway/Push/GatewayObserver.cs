using ChatCluster.Gateway.Connections;
using ChatCluster.Grains;

namespace ChatCluster.Gateway.Push;

/// <summary>
/// This gateway's push entry (see <see cref="IGatewayObserver"/>): hands each pushed message to the connections it
/// holds. It never awaits: a connection's queue takes the frame or the connection is closed.
/// </summary>
public sealed class GatewayObserver(ConnectionRegistry registry) : IGatewayObserver
{
    public Task<IReadOnlyList<string>> Deliver(IReadOnlyList<PushedMessage> pushes)
    {
        ArgumentNullException.ThrowIfNull(pushes);
        List<string>? gone = null;
        foreach (var push in pushes)
        {
            var missing = registry.Deliver(push.ConnectionIds, push.Message);
            if (missing.Count > 0)
            {
                (gone ??= []).AddRange(missing);
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(gone is null ? [] : gone.Distinct(StringComparer.Ordinal).ToArray());
    }
}
