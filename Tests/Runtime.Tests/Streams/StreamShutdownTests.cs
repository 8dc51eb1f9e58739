using ChatCluster.Runtime.Streams.Memory;
using static ChatCluster.Runtime.Tests.Streams.StreamTesting;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>Stopping the runtime stops the stream handlers first: none runs once the stop returned.</summary>
public sealed class StreamShutdownTests
{
    [Fact(Timeout = 30_000)]
    public async Task No_handler_runs_after_the_runtime_stopped_even_while_events_keep_coming()
    {
        var provider = new MemoryStreamProvider(4);
        var inFlight = 0;
        var stopReturned = false;
        var lateCalls = 0;
        var handler = new RecordingHandler
        {
            Behavior = async (_, _) =>
            {
                Interlocked.Increment(ref inFlight);
                if (Volatile.Read(ref stopReturned))
                {
                    Interlocked.Increment(ref lateCalls);
                }

                // Ignores the token on purpose: the stop must wait for a handler that is running.
                await Task.Delay(50, CancellationToken.None);
                Interlocked.Decrement(ref inFlight);
            },
        };
        var silo = await StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "ns", "g", o => o.BatchSize = 2));
        var publisher = new StreamPublisher(provider);
        using var stopPublishing = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            for (var i = 0; !stopPublishing.IsCancellationRequested; i++)
            {
                await publisher.PublishAsync(new StreamId("ns", $"k{i % 13}"), new TestEvent($"k{i % 13}", i));
                await Task.Delay(1);
            }
        });

        await WaitUntilAsync(() => handler.HandledCount >= 10, "handlers running");
        await silo.Runtime.StopAsync(CancellationToken.None);
        Volatile.Write(ref stopReturned, true);
        Assert.Equal(0, Volatile.Read(ref inFlight));
        var deliveries = handler.Deliveries.Count;

        await Task.Delay(300); // events keep coming
        await stopPublishing.CancelAsync();
        await publishing;
        await silo.DisposeAsync();

        Assert.Equal(0, lateCalls);
        Assert.Equal(deliveries, handler.Deliveries.Count);
    }
}
