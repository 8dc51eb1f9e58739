using System.Net.WebSockets;
using ChatCluster.Gateway.Connections;

namespace ChatCluster.Gateway.Limits;

/// <summary>
/// Closes a connection that has sent no frame for the idle timeout. A frame only stores a timestamp
/// (no timer reset per frame); one timer per connection checks it a few times per timeout, so a
/// connection is closed between 1 and 1.25 timeouts after its last frame.
/// </summary>
public sealed class IdleWatch : IDisposable
{
    private static readonly TimeSpan MinCheckPeriod = TimeSpan.FromMilliseconds(25);

    private readonly GatewayConnection connection;
    private readonly TimeSpan timeout;
    private readonly TimeProvider time;
    private readonly ITimer timer;
    private long lastFrame;

    public IdleWatch(GatewayConnection connection, TimeSpan timeout, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        this.connection = connection;
        this.timeout = timeout;
        this.time = time;
        lastFrame = time.GetTimestamp();
        var period = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 4, MinCheckPeriod.Ticks));
        timer = time.CreateTimer(static state => ((IdleWatch)state!).Check(), this, period, period);
    }

    /// <summary>Notes that a frame arrived; called by the receive loop for every frame.</summary>
    public void FrameReceived() => Volatile.Write(ref lastFrame, time.GetTimestamp());

    private void Check()
    {
        if (time.GetElapsedTime(Volatile.Read(ref lastFrame)) >= timeout)
        {
            // 1000, not 1001: the server is not going away (a draining gateway says 1012); the connection
            // simply ended normally, and the client may reconnect whenever it has something to do.
            connection.Close(WebSocketCloseStatus.NormalClosure, "idle timeout: no frame received");
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => timer.Dispose();
}
