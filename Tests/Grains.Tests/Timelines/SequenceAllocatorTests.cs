using ChatCluster.Grains.Timelines;

namespace ChatCluster.Grains.Tests.Timelines;

public sealed class SequenceAllocatorTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Numbers_are_consecutive_across_many_raises_and_the_bound_stays_within_a_step(bool persistCompletesSynchronously)
    {
        var persisted = new List<long>();
        var allocator = new SequenceAllocator(0, 10, async limit =>
        {
            if (!persistCompletesSynchronously)
            {
                await Task.Yield();
            }

            persisted.Add(limit);
        });

        var numbers = new List<long>();
        for (var i = 0; i < 95; i++)
        {
            numbers.Add(await allocator.NextAsync());
            Assert.True(persisted.Count == 0 || persisted[^1] - numbers[^1] <= 10, "the persisted bound runs at most one step ahead");
        }

        Assert.Equal(Enumerable.Range(1, 95).Select(i => (long)i), numbers);
        Assert.Equal(persisted.Order(), persisted);
        Assert.True(persisted[^1] >= 95);
    }

    [Fact]
    public async Task Waiters_are_served_in_call_order_when_a_raise_is_slow()
    {
        var release = new TaskCompletionSource();
        var allocator = new SequenceAllocator(5, 4, _ => release.Task);

        var waiting = Enumerable.Range(0, 6).Select(_ => allocator.NextAsync().AsTask()).ToList();
        release.SetResult();

        Assert.Equal(new long[] { 6, 7, 8, 9, 10, 11 }, await Task.WhenAll(waiting));
    }

    [Fact]
    public async Task A_failed_raise_fails_the_waiters_and_the_next_call_tries_again()
    {
        var fail = true;
        var allocator = new SequenceAllocator(0, 4, _ => fail ? Task.FromException(new IOException("disk")) : Task.CompletedTask);

        await Assert.ThrowsAsync<IOException>(() => allocator.NextAsync().AsTask());
        fail = false;

        Assert.Equal(1, await allocator.NextAsync());
    }

    [Fact]
    public async Task The_last_number_can_be_given_back_and_is_handed_out_again_but_an_earlier_one_cannot()
    {
        var allocator = new SequenceAllocator(0, 100, _ => Task.CompletedTask);
        Assert.Equal(1, await allocator.NextAsync());
        var second = await allocator.NextAsync();

        Assert.True(allocator.TryGiveBack(second));
        Assert.Equal(1, allocator.Last);
        Assert.Equal(2, await allocator.NextAsync());

        Assert.Equal(3, await allocator.NextAsync());
        Assert.False(allocator.TryGiveBack(2)); // 3 was handed out after it: 2 stays skipped
        Assert.Equal(4, await allocator.NextAsync());
    }
}
