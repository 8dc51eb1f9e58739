using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>Calls made on silo A and run on silo B over the transport (two runtimes in this process, routed by force).</summary>
public sealed class RemoteCallTests
{
    [Fact(Timeout = 30_000)]
    public async Task Call_from_A_runs_on_B_and_returns_its_result()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);

        var grain = a.Runtime.GetGrain<IWireGrain>("w1");
        var note = await grain.Annotate(new WireNote("hello", 41, ["x", "y"], null), new WireSpot("s1", 7), upper: true);
        await grain.Remember("first");
        await grain.Remember("second");

        Assert.Equal(new WireNote("HELLO", 42, note.Tags, new WireSpot("s1", 7)), note);
        Assert.Equal(["x", "y"], note.Tags);
        Assert.Equal("s1:7", await grain.Where(new WireSpot("s1", 7)));
        Assert.Null(await grain.Where(null));
        var sums = await grain.Add([1, 2, long.MaxValue - 10], 10);
        Assert.Equal(new[] { 11L, 12L, long.MaxValue }, sums);
        Assert.Equal(["first", "second"], await grain.Remembered());
        Assert.Equal(1, b.Runtime.ActivationCount);
        Assert.Equal(0, a.Runtime.ActivationCount);
    }

    [Theory(Timeout = 30_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Exception_on_B_reaches_the_caller_on_A_with_its_type_and_message(bool beforeAwait)
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);
        var grain = a.Runtime.GetGrain<ISerialProbeGrain>("thrower");

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Fail("the reason", beforeAwait));

        Assert.Contains("the reason", error.Message, StringComparison.Ordinal);
        Assert.Equal(7, await grain.Echo(7));
    }

    [Fact(Timeout = 30_000)]
    public async Task Unknown_exception_type_comes_back_as_RemoteGrainException_with_type_and_message()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);

        // No grain class for this interface is hosted on B: the error names what is missing.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => a.Runtime.GetGrain<IUnhostedGrain>("nobody").Ping());

        Assert.Contains("unhosted", error.Message, StringComparison.Ordinal);
        var remote = await Assert.ThrowsAsync<RemoteGrainException>(() => a.Runtime.GetGrain<ICustomThrowerGrain>("c").Raise("custom words"));
        Assert.Equal(typeof(CustomGrainException).FullName, remote.RemoteType);
        Assert.Equal("custom words", remote.RemoteMessage);
    }

    [Fact(Timeout = 30_000)]
    public async Task Arguments_or_result_that_cannot_be_serialized_fail_only_that_call()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);
        var grain = a.Runtime.GetGrain<IWireGrain>("loops");
        var loop = new WireLoop();
        loop.Next = loop;

        var badArgument = await Assert.ThrowsAsync<ArgumentException>(() => grain.Length(loop));
        var badResult = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.MakeLoop());

        Assert.Contains("could not be serialized", badArgument.Message, StringComparison.Ordinal);
        Assert.Contains("could not be serialized", badResult.Message, StringComparison.Ordinal);
        Assert.Equal(2, await grain.Length(new WireLoop { Next = new WireLoop() }));
        Assert.True(a.Transport.ConnectionTo(b.EndPoint)!.IsOpen);
    }

    [Fact(Timeout = 30_000)]
    public async Task Call_too_big_for_a_frame_fails_alone_before_it_is_sent()
    {
        await using var b = await TransportSilo.StartAsync(maxFrameBytes: 65_536);
        await using var a = await TransportSilo.StartAsync(maxFrameBytes: 65_536);
        a.RouteAllTo(b);
        var grain = a.Runtime.GetGrain<IWireGrain>("big");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => grain.Remember(new string('x', 70_000)));
        await grain.Remember(new string('y', 30_000));

        Assert.Contains("MaxFrameBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal([new string('y', 30_000)], await grain.Remembered());
        Assert.True(a.Transport.ConnectionTo(b.EndPoint)!.IsOpen);
    }

    [Fact(Timeout = 60_000)]
    public async Task Ten_thousand_concurrent_remote_calls_all_complete_with_their_own_results()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);
        var grains = Enumerable.Range(0, 100).Select(i => a.Runtime.GetGrain<ISerialProbeGrain>($"many-{i}")).ToArray();

        var calls = Enumerable.Range(0, 10_000).Select(i => grains[i % grains.Length].Echo(i)).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 10_000), results);
        Assert.Equal(100, b.Runtime.ActivationCount);
        Assert.Equal(0, a.Runtime.Transport!.ConnectionTo(b.EndPoint)!.PendingCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task Slow_call_times_out_alone_and_the_connection_carries_on()
    {
        await using var b = await TransportSilo.StartAsync(callTimeout: TimeSpan.FromSeconds(30));
        await using var a = await TransportSilo.StartAsync(callTimeout: TimeSpan.FromMilliseconds(500));
        a.RouteAllTo(b);
        var slowGrain = a.Runtime.GetGrain<IReentrantProbeGrain>("slow");
        var otherGrain = a.Runtime.GetGrain<ISerialProbeGrain>("other");
        await otherGrain.Echo(0);
        var connection = a.Runtime.Transport!.ConnectionTo(b.EndPoint)!;

        var slow = slowGrain.Hang(5_000);
        var quick = Enumerable.Range(1, 20).Select(i => otherGrain.Echo(i)).ToArray();

        Assert.Equal(Enumerable.Range(1, 20), await Task.WhenAll(quick));
        var error = await Assert.ThrowsAsync<GrainCallTimeoutException>(() => slow);
        Assert.Contains("Hang", error.Message, StringComparison.Ordinal);
        Assert.True(connection.IsOpen);
        Assert.Same(connection, a.Runtime.Transport.ConnectionTo(b.EndPoint));
        Assert.Equal(5, await otherGrain.Echo(5));
    }

    [Fact(Timeout = 30_000)]
    public async Task Callers_beyond_MaxPendingCalls_wait_for_a_slot_and_all_complete()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync(maxPendingCalls: 4);
        a.RouteAllTo(b);
        var grain = a.Runtime.GetGrain<IReentrantProbeGrain>("narrow");
        await grain.Noop();
        var connection = a.Runtime.Transport!.ConnectionTo(b.EndPoint)!;

        var calls = Enumerable.Range(0, 40).Select(_ => grain.Work(50)).ToArray();
        await Task.Delay(20);
        var pendingWhileBusy = connection.PendingCount;
        await Task.WhenAll(calls);

        Assert.InRange(pendingWhileBusy, 1, 4);
        Assert.True(await grain.MaxCallsInFlight() <= 4, "B never had more calls of A's in flight than A's slots");
    }
}
