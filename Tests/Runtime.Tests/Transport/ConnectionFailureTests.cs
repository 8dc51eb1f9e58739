using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChatCluster.Runtime.Tests.Grains;

namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>Lost peers and bad bytes: pending calls fail with SiloUnavailableException, the process carries on, and the next call reconnects.</summary>
public sealed class ConnectionFailureTests
{
    [Fact(Timeout = 60_000)]
    public async Task Losing_B_fails_pending_calls_and_calls_reconnect_after_B_restarts_on_the_same_port()
    {
        await using var a = await TransportSilo.StartAsync();
        var b1 = await TransportSilo.StartAsync();
        var port = b1.EndPoint.Port;
        a.RouteAllTo(b1);
        var grain = a.Runtime.GetGrain<IReentrantProbeGrain>("restart");
        Assert.Equal(1, await grain.Echo(1));
        var connection = a.Runtime.Transport!.ConnectionTo(b1.EndPoint)!;

        var pending = Enumerable.Range(0, 5).Select(_ => grain.Hang(2_000)).ToArray();
        while (connection.PendingCount < 5)
        {
            await Task.Delay(5);
        }

        var stopwatch = Stopwatch.StartNew();
        await b1.Transport.StopAsync();
        foreach (var call in pending)
        {
            var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => call);
            Assert.Contains(b1.EndPoint.ToString(), error.Message, StringComparison.Ordinal);
        }

        Assert.True(stopwatch.ElapsedMilliseconds < 1_500, $"pending calls failed after {stopwatch.ElapsedMilliseconds} ms, not at once");
        Assert.False(connection.IsOpen);
        await b1.DisposeAsync();

        await using var b2 = await TransportSilo.StartAsync(port);
        Assert.Equal(2, await grain.Echo(2));
        Assert.NotSame(connection, a.Runtime.Transport.ConnectionTo(b2.EndPoint));
        Assert.Equal(1, b2.Runtime.ActivationCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_call_to_a_silo_that_is_not_there_is_routed_again_until_its_deadline_then_fails_with_SiloUnavailableException()
    {
        await using var a = await TransportSilo.StartAsync(callTimeout: TimeSpan.FromSeconds(1));
        a.RouteAllTo(DeadEndPoint());

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => a.Runtime.GetGrain<ISerialProbeGrain>("x").Echo(1));

        // Retried (not failed at the first refused connect), and given up at about the call timeout.
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(10));
        Assert.True(error.Message.Contains("Could not connect", StringComparison.Ordinal) || error.Message.Contains("next attempt", StringComparison.Ordinal), error.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_call_that_could_not_be_delivered_runs_where_the_route_points_next()
    {
        await using var a = await TransportSilo.StartAsync(callTimeout: TimeSpan.FromSeconds(10));
        await using var b = await TransportSilo.StartAsync();
        var dead = DeadEndPoint();
        var attempts = 0;
        // The first routing points at a dead silo (as a stale view would), later ones at b.
        a.Runtime.RemoteRoute = _ => Interlocked.Increment(ref attempts) == 1 ? dead : b.EndPoint;

        Assert.Equal(7, await a.Runtime.GetGrain<ISerialProbeGrain>("moved").Echo(7));
        Assert.True(attempts >= 2, $"routed {attempts} time(s)");
        Assert.Contains(b.Runtime.Catalog.Snapshot(), activation => activation.Id.Key == "moved");
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "Bad frame length -5", Bytes(w => BinaryPrimitives.WriteInt32LittleEndian(w, -5), 4) },
        { "Bad frame length 2000000000", Bytes(w => BinaryPrimitives.WriteInt32LittleEndian(w, 2_000_000_000), 4) },
        { "Unknown frame kind 10", Bytes(w => { BinaryPrimitives.WriteInt32LittleEndian(w, 30); w[4] = 10; }, 34) },
        { "do not fit", Bytes(w => { BinaryPrimitives.WriteInt32LittleEndian(w, 30); w[4] = 2; w[30] = 50; }, 34) },
        { "in the middle of a frame", Bytes(w => { BinaryPrimitives.WriteInt32LittleEndian(w, 100); w[4] = 2; }, 30) },
    };

    [Theory(Timeout = 30_000)]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_frame_from_a_peer_closes_that_connection_logs_why_and_fails_its_pending_calls(string expected, byte[] garbage)
    {
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo((IPEndPoint)fake.LocalEndpoint);

        var call = a.Runtime.GetGrain<ISerialProbeGrain>("victim").Echo(1);
        using (var peer = await fake.AcceptTcpClientAsync())
        {
            var stream = peer.GetStream();
            var request = new byte[64];
            _ = await stream.ReadAsync(request);
            await stream.WriteAsync(garbage);
            await stream.FlushAsync();
            if (expected == "in the middle of a frame")
            {
                peer.Client.Shutdown(SocketShutdown.Send);
            }

            var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => call);
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains(a.Log.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("protocol error", StringComparison.Ordinal)
            && l.Contains(expected, StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task Garbage_sent_to_a_silo_closes_only_that_connection()
    {
        await using var b = await TransportSilo.StartAsync();
        await using var a = await TransportSilo.StartAsync();
        a.RouteAllTo(b);
        Assert.Equal(1, await a.Runtime.GetGrain<ISerialProbeGrain>("fine").Echo(1));

        using var rogue = new TcpClient();
        await rogue.ConnectAsync(b.EndPoint);
        await rogue.GetStream().WriteAsync(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26 });
        var read = await rogue.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, read); // B closed the rogue connection
        Assert.Contains(b.Log.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("Bad frame length", StringComparison.Ordinal));
        Assert.Equal(2, await a.Runtime.GetGrain<ISerialProbeGrain>("fine").Echo(2));
    }

    internal static IPEndPoint DeadEndPoint()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop();
        return endpoint;
    }

    private static byte[] Bytes(Action<byte[]> fill, int length)
    {
        var bytes = new byte[length];
        fill(bytes);
        return bytes;
    }
}
