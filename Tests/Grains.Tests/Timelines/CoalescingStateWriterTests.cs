using ChatCluster.Grains.State;

namespace ChatCluster.Grains.Tests.Timelines;

public sealed class CoalescingStateWriterTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Overlapping_writes_are_merged_and_never_run_at_once(bool synchronousStore)
    {
        var state = new CountingState(synchronousStore);
        var writer = new CoalescingStateWriter<object>(state);

        var writes = Enumerable.Range(0, 10).Select(_ => writer.WriteAsync()).ToList();
        await Task.WhenAll(writes);
        await writer.WriteAsync(); // after everything settled, a write still happens

        Assert.Equal(0, state.MaxConcurrent - 1);
        Assert.InRange(state.Writes, 2, synchronousStore ? 11 : 3);
    }

    private sealed class CountingState(bool synchronous) : IPersistentState<object>
    {
        private int concurrent;

        public int Writes { get; private set; }

        public int MaxConcurrent { get; private set; }

        public object State { get; set; } = new();

        public string? Etag => null;

        public bool RecordExists => false;

        public Task ReadStateAsync() => Task.CompletedTask;

        public Task ClearStateAsync() => Task.CompletedTask;

        public async Task WriteStateAsync()
        {
            MaxConcurrent = Math.Max(MaxConcurrent, ++concurrent);
            Writes++;
            if (!synchronous)
            {
                await Task.Delay(20);
            }

            concurrent--;
        }
    }
}
