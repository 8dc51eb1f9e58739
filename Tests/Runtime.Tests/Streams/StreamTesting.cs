using ChatCluster.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>What the stream tests share: silos with given handlers, reading a whole namespace, waiting.</summary>
internal static class StreamTesting
{
    /// <summary>Quick retries, so failure tests take milliseconds.</summary>
    public static void Quick(StreamHandlerOptions options)
    {
        options.InitialBackoff = TimeSpan.FromMilliseconds(5);
        options.MaxBackoff = TimeSpan.FromMilliseconds(40);
        options.PollWait = TimeSpan.FromMilliseconds(200);
    }

    /// <summary>Starts a silo on <paramref name="provider"/> (which the silo disposes when it is disposed).</summary>
    public static Task<TestSilo> StartSiloAsync(IStreamProvider provider, Action<GrainRuntimeBuilder> handlers) =>
        TestSilo.StartAsync(b =>
        {
            b.AddMemoryGrainStorage();
            b.AddStreams(_ => provider);
            handlers(b);
        });

    /// <summary>Registers <paramref name="handler"/> (this instance) for a group, with quick retries unless configured otherwise.</summary>
    public static GrainRuntimeBuilder AddRecordingHandler<THandler>(this GrainRuntimeBuilder builder, THandler handler, string streamNamespace,
        string group, Action<StreamHandlerOptions>? configure = null)
        where THandler : RecordingHandler
    {
        builder.Services.AddSingleton(handler);
        return builder.AddStreamHandler<THandler, TestEvent>(streamNamespace, group, options =>
        {
            Quick(options);
            configure?.Invoke(options);
        });
    }

    /// <summary>Every event of a namespace, partition by partition, read as a handler group that never acknowledges.</summary>
    public static async Task<List<StoredStreamEvent>> ReadAllAsync(IStreamProvider provider, string streamNamespace)
    {
        var all = new List<StoredStreamEvent>();
        var group = $"inspect-{Guid.NewGuid():N}";
        for (var partition = 0; partition < provider.Partitions; partition++)
        {
            await using var reader = provider.OpenReader(group, streamNamespace, partition);
            while (await reader.ReadAsync(1000, TimeSpan.FromMilliseconds(20), CancellationToken.None) is { Count: > 0 } events)
            {
                all.AddRange(events);
            }
        }

        return all;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {seconds} s: {what}");
            await Task.Delay(10);
        }
    }

    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not reached within {seconds} s: {what}");
            await Task.Delay(10);
        }
    }
}
