using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

public abstract class ProbeGrainBase : Grain, IProbeGrain
{
    private int inFlight;
    private int maxInFlight;
    private int insideSlice;
    private int threadOverlaps;
    private int ticks;
    private readonly Guid activationId = Guid.NewGuid();
    private IDisposable? timer;

    public async Task Work(int delayMs)
    {
        var now = Interlocked.Increment(ref inFlight);
        InterlockedMax(ref maxInFlight, now);
        Slice();
        await Task.Delay(delayMs);
        Slice();
        Interlocked.Decrement(ref inFlight);
    }

    public Task<int> MaxCallsInFlight() => Task.FromResult(Volatile.Read(ref maxInFlight));

    public Task<int> ThreadOverlaps() => Task.FromResult(Volatile.Read(ref threadOverlaps));

    public Task<int> CallsInFlight() => Task.FromResult(Volatile.Read(ref inFlight));

    public Task Noop() => Task.CompletedTask;

    public Task<int> Echo(int value) => Task.FromResult(value);

    public async Task Fail(string message, bool beforeAwait)
    {
        if (!beforeAwait)
        {
            await Task.Yield();
        }

        throw new ArgumentOutOfRangeException(nameof(message), message);
    }

    public Task Hang(int milliseconds) => Task.Delay(milliseconds);

    public Task StartTicking(int periodMs)
    {
        timer = RegisterGrainTimer(async _ =>
        {
            Slice();
            Interlocked.Increment(ref ticks);
            await Task.Delay(1, CancellationToken.None);
            Slice();
        }, TimeSpan.FromMilliseconds(periodMs), TimeSpan.FromMilliseconds(periodMs));
        return Task.CompletedTask;
    }

    public Task StopTicking()
    {
        timer?.Dispose();
        return Task.CompletedTask;
    }

    public Task<int> Ticks() => Task.FromResult(Volatile.Read(ref ticks));

    public Task SetKeepAlive(bool keepAlive)
    {
        KeepAlive = keepAlive;
        return Task.CompletedTask;
    }

    public Task<Guid> ActivationId() => Task.FromResult(activationId);

    // Spins a little while holding a flag: if another thread enters meanwhile, grain code overlapped.
    private void Slice()
    {
        if (Interlocked.Exchange(ref insideSlice, 1) == 1)
        {
            Interlocked.Increment(ref threadOverlaps);
        }

        Thread.SpinWait(2000);
        Volatile.Write(ref insideSlice, 0);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class SerialProbeGrain : ProbeGrainBase, ISerialProbeGrain;

[Reentrant]
public sealed class ReentrantProbeGrain : ProbeGrainBase, IReentrantProbeGrain;
