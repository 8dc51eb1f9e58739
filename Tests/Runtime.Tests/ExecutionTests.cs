using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests;

/// <summary>Turn-based execution, reentrancy, exceptions and timeouts, on the in-memory storage.</summary>
public sealed class ExecutionTests
{
    [Fact(Timeout = 30_000)]
    public async Task Calls_to_one_activation_never_overlap()
    {
        await using var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("serial");

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => grain.Work(5)));

        Assert.Equal(1, await grain.MaxCallsInFlight());
        Assert.Equal(0, await grain.ThreadOverlaps());
    }

    [Fact(Timeout = 30_000)]
    public async Task Reentrant_grain_interleaves_calls_but_never_runs_on_two_threads()
    {
        await using var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<IReentrantProbeGrain>("reentrant");

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => grain.Work(20)));

        Assert.True(await grain.MaxCallsInFlight() > 1, "calls of a [Reentrant] grain should interleave at their awaits");
        Assert.Equal(0, await grain.ThreadOverlaps());
    }

    [Fact(Timeout = 30_000)]
    public async Task AlwaysInterleave_method_runs_while_a_serial_call_awaits()
    {
        await using var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("interleave");
        await grain.Noop();

        var slow = grain.Work(2_000);
        int inFlight;
        do
        {
            inFlight = await grain.CallsInFlight();
        }
        while (inFlight == 0 && !slow.IsCompleted);

        Assert.False(slow.IsCompleted, "the [AlwaysInterleave] call should have been answered while Work was still running");
        Assert.Equal(1, inFlight);
        await slow;
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Exception_reaches_the_caller_with_its_type_and_message(bool beforeAwait)
    {
        await using var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("thrower");

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Fail("the reason", beforeAwait));

        Assert.Contains("the reason", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, await grain.Echo(7)); // the activation survives its method's exception
    }

    [Fact(Timeout = 30_000)]
    public async Task Call_past_its_timeout_fails_with_a_timeout_error_and_the_grain_recovers()
    {
        await using var silo = await TestSilo.StartInMemoryAsync(o => o.CallTimeout = TimeSpan.FromMilliseconds(300));
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("sleepy");

        var error = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Hang(3_000));
        var queuedBehind = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => grain.Echo(1));

        Assert.Contains("Hang", error.Message, StringComparison.Ordinal);
        Assert.Contains("serialprobe/sleepy", error.Message, StringComparison.Ordinal);
        Assert.Contains("Echo", queuedBehind.Message, StringComparison.Ordinal);
        await Task.Delay(3_000);
        Assert.Equal(2, await grain.Echo(2));
    }

    [Fact(Timeout = 30_000)]
    public async Task Timer_ticks_run_as_turns_and_stop_when_disposed()
    {
        await using var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("ticker");
        await grain.StartTicking(10);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await grain.Ticks() < 20 && DateTime.UtcNow < deadline)
        {
            await grain.Work(1);
        }

        await grain.StopTicking();
        var ticksAtStop = await grain.Ticks();
        await Task.Delay(200);

        Assert.True(ticksAtStop >= 20, $"expected 20 ticks within 10 s, saw {ticksAtStop}");
        Assert.Equal(ticksAtStop, await grain.Ticks());
        Assert.Equal(0, await grain.ThreadOverlaps());
    }

    [Fact(Timeout = 30_000)]
    public async Task KeepAlive_grain_is_passed_over_by_idle_collection_until_released()
    {
        await using var silo = await TestSilo.StartInMemoryAsync(o =>
        {
            o.CollectionAge = TimeSpan.FromMilliseconds(200);
            o.CollectionQuantum = TimeSpan.FromMilliseconds(50);
        });
        var kept = silo.Grains.GetGrain<ISerialProbeGrain>("kept");
        var idle = silo.Grains.GetGrain<ISerialProbeGrain>("idle");
        await kept.SetKeepAlive(true);
        var keptId = await kept.ActivationId();
        await idle.Noop();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (silo.Runtime.ActivationCount > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(500);
        Assert.Equal(1, silo.Runtime.ActivationCount);
        Assert.Equal(keptId, await kept.ActivationId());

        await kept.SetKeepAlive(false);
        while (silo.Runtime.ActivationCount > 0 && DateTime.UtcNow < deadline.AddSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, silo.Runtime.ActivationCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task Bad_grain_keys_are_refused()
    {
        await using var silo = await TestSilo.StartInMemoryAsync();

        Assert.Throws<ArgumentException>(() => silo.Grains.GetGrain<ICounterGrain>(""));
        Assert.Throws<ArgumentException>(() => silo.Grains.GetGrain<ICounterGrain>(new string('k', GrainId.MaxKeyLength + 1)));
        Assert.Throws<ArgumentNullException>(() => silo.Grains.GetGrain<ICounterGrain>(null!));
    }

    [Fact(Timeout = 30_000)]
    public async Task Calls_after_stop_fail_as_unavailable()
    {
        var silo = await TestSilo.StartInMemoryAsync();
        var grain = silo.Grains.GetGrain<ISerialProbeGrain>("late");
        await grain.Noop();
        await silo.DisposeAsync();

        await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.Noop());
    }
}
