using System.Collections.Concurrent;
using System.Diagnostics;

namespace ChatCluster.Bench.GrainStorage;

/// <summary>
/// The callers of the grain-storage bench: each sends one write request after another to its own grain, from the
/// moment a start signal completes until <see cref="Stop"/>. Counts what the bench reports, from any thread.
/// </summary>
internal sealed class WriteLoad
{
    private readonly ConcurrentQueue<(TimeSpan Request, TimeSpan Storage)> latencies = new();
    private int stopped;
    private long completed;
    private int inFlight;
    private int callersStarted;
    private int errors;
    private string? firstError;

    /// <summary>Write requests that returned successfully.</summary>
    public long Completed => Interlocked.Read(ref completed);

    /// <summary>Write requests sent and not yet returned.</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    /// <summary>Callers that ever had a write in flight.</summary>
    public int CallersStarted => Volatile.Read(ref callersStarted);

    /// <summary>Write requests that threw.</summary>
    public int Errors => Volatile.Read(ref errors);

    /// <summary>The cause of the first exception a write request threw (type and first line of its message), if any.</summary>
    public string? FirstError => Volatile.Read(ref firstError);

    /// <summary>
    /// Each completed write: how long the caller waited for it (queueing included) and how long its
    /// <c>WriteStateAsync</c> took in the grain.
    /// </summary>
    public IReadOnlyCollection<(TimeSpan Request, TimeSpan Storage)> Latencies => latencies;

    /// <summary>One caller: waits for <paramref name="start"/>, then writes to <paramref name="grain"/> until <see cref="Stop"/>.</summary>
    public async Task RunCallerAsync(IStateWriterGrain grain, Task start)
    {
        await start;
        var started = false;
        while (Volatile.Read(ref stopped) == 0)
        {
            if (!started)
            {
                started = true;
                Interlocked.Increment(ref callersStarted);
            }

            Interlocked.Increment(ref inFlight);
            var sent = Stopwatch.GetTimestamp();
            try
            {
                var storage = await grain.Write();
                latencies.Enqueue((Stopwatch.GetElapsedTime(sent), storage));
                Interlocked.Increment(ref completed);
            }
            catch (Exception exception)
            {
                if (Interlocked.Increment(ref errors) == 1)
                {
                    // Orleans wraps the storage's exception, and copies its stack trace into the message.
                    var cause = exception.GetBaseException();
                    Volatile.Write(ref firstError, $"{cause.GetType().Name}: {cause.Message.Split('\n')[0].Trim()}");
                }
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
    }

    /// <summary>Callers send no further request; those in flight still complete.</summary>
    public void Stop() => Volatile.Write(ref stopped, 1);
}
