namespace ChatCluster.Grains;

/// <summary>
/// The push entry of one gateway process: an Orleans grain observer the gateway registers once at start
/// (<c>IGrainFactory.CreateObjectReference</c>). Its grain id, as text, is the <see cref="Session.GatewayId"/>
/// of every connection the gateway holds, so a push consumer on any silo reaches the connection in one call.
/// Observers are not durable: a gateway that stopped answers no more, and its sessions are forgotten.
/// </summary>
[Alias("chat.IGatewayObserver")]
public interface IGatewayObserver : IGrainObserver
{
    /// <summary>
    /// Queues each push on its connections and returns the connection ids this gateway does not hold
    /// (closed, or from an earlier run of the gateway): sessions to forget.
    /// </summary>
    /// <remarks>
    /// A gateway answers at once (it never waits on a connection), so a call that takes longer than 5 s is to a gateway
    /// that died or hangs: it times out then, not after the silo's call timeout (30 s on the embedded silo), which would
    /// hold back every push of the caller's log partition.
    /// </remarks>
    [ResponseTimeout("00:00:05")]
    Task<IReadOnlyList<string>> Deliver(IReadOnlyList<PushedMessage> pushes);
}
