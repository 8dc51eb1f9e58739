using ChatCluster.Runtime.Activations;
using Microsoft.Extensions.Logging;

namespace ChatCluster.Runtime.Timers;

/// <summary>
/// A grain timer: each tick is a turn of the grain's activation, and the next tick is armed only
/// after the previous one finished, so ticks never overlap each other or a call.
/// </summary>
internal sealed partial class GrainTimer : ITurn, IDisposable
{
    private readonly Activation activation;
    private readonly Func<CancellationToken, Task> callback;
    private readonly TimeSpan period;
    private readonly CancellationTokenSource stopped = new();
    private readonly Timer timer;
    private int disposed;

    private GrainTimer(Activation activation, Func<CancellationToken, Task> callback, TimeSpan period)
    {
        this.activation = activation;
        this.callback = callback;
        this.period = period;
        timer = new Timer(static self => ((GrainTimer)self!).OnDue(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public bool Interleaves => false;

    public long Deadline => long.MaxValue;

    public bool IsAbandoned => Volatile.Read(ref disposed) != 0;

    public static GrainTimer Start(Activation activation, Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period)
    {
        Validate(dueTime, nameof(dueTime));
        Validate(period, nameof(period));
        var grainTimer = new GrainTimer(activation, callback, period);
        activation.AddTimer(grainTimer);
        grainTimer.timer.Change(dueTime, Timeout.InfiniteTimeSpan);
        return grainTimer;
    }

    public Task Start(Activation target) => callback(stopped.Token);

    public void Finish(Activation target, Task completed)
    {
        if (!completed.IsCompletedSuccessfully && !IsAbandoned)
        {
            LogTickFailed(activation.Runtime.Logger, completed.Exception?.InnerException, activation.Id);
        }

        if (IsAbandoned || period == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        try
        {
            timer.Change(period, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the change: nothing more to arm.
        }
    }

    public void Abandon(Exception reason) => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        timer.Dispose();
        stopped.Cancel();
        activation.RemoveTimer(this);
    }

    private void OnDue()
    {
        if (!IsAbandoned && !activation.TryEnqueue(this, keepsAlive: false))
        {
            Dispose();
        }
    }

    private static void Validate(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.TotalMilliseconds > uint.MaxValue - 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "A grain timer's due time and period must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A timer tick of grain {GrainId} failed; the timer keeps running")]
    private static partial void LogTickFailed(ILogger logger, Exception? exception, GrainId grainId);
}
