using System.Diagnostics.Metrics;
using System.Text;
using ChatCluster.Gateway.Protocol;

namespace ChatCluster.Gateway.Metrics;

/// <summary>
/// The gateway's instruments, on one meter per host (so tests running several hosts in one
/// process keep their numbers apart). Recording is allocation-free: tag values are cached strings.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "ChatCluster.Gateway";

    /// <summary>Buckets for ack latency, in seconds: a durable write takes milliseconds, a stalled one seconds.</summary>
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Server frame types, as the UTF-8 bytes that follow <c>{"type":"</c>, to name outbound frames without parsing them.</summary>
    private static readonly (byte[] Utf8, string Name)[] OutTypes =
        [.. new[] { "ack", "msg", "messages", "timelines", "members", "ok", "pong", "error" }.Select(t => (Encoding.UTF8.GetBytes(t), t))];

    private static readonly (byte[] Utf8, string Name)[] Codes = [.. ErrorCodes.All.Select(c => (Encoding.UTF8.GetBytes(c), c))];

    private static readonly byte[] TypePrefix = "{\"type\":\""u8.ToArray();
    private static readonly byte[] CodeField = "\"code\":\""u8.ToArray();

    private readonly Counter<long> framesIn;
    private readonly Counter<long> framesOut;
    private readonly Counter<long> errors;
    private readonly Histogram<double> ackLatency;

    private readonly UpDownCounter<long> connections;
    private readonly Counter<long> upgrades;
    private readonly Counter<long> pushOrder;

    public GatewayMetrics()
    {
        Meter = new Meter(MeterName);
        connections = Meter.CreateUpDownCounter<long>("chatcluster_gateway_connections", description: "Open WebSocket connections.");
        upgrades = Meter.CreateCounter<long>("chatcluster_gateway_upgrades_total",
            description: "WebSocket upgrades accepted, by where: on the connection (no HTTP state kept) or through Kestrel's HTTP layer.");
        // Process-wide, not per host: with the RSS it tells managed memory from native (sockets, pools, the runtime).
        Meter.CreateObservableGauge("chatcluster_process_gc_heap_bytes", () => GC.GetGCMemoryInfo().HeapSizeBytes, unit: "By",
            description: "Managed heap size at the last garbage collection, in bytes.");
        // Read before and after a load and divided by the messages sent: what a message costs, steadier than a rate on a busy machine.
        Meter.CreateObservableCounter("chatcluster_process_allocated_bytes_total", () => GC.GetTotalAllocatedBytes(), unit: "By",
            description: "Bytes allocated on the managed heap since the process started.");
        Meter.CreateObservableCounter("chatcluster_process_cpu_seconds_total", () => Environment.CpuUsage.TotalTime.TotalSeconds, unit: "s",
            description: "CPU time the process has used (user and kernel), in seconds.");
        Meter.CreateObservableCounter("chatcluster_process_gc_pause_seconds_total", () => GC.GetTotalPauseDuration().TotalSeconds, unit: "s",
            description: "Time the process was paused for garbage collections, in seconds.");
        framesIn = Meter.CreateCounter<long>("chatcluster_gateway_frames_in_total", description: "Well-formed client frames, by type.");
        framesOut = Meter.CreateCounter<long>("chatcluster_gateway_frames_out_total", description: "Frames sent to clients, by type.");
        pushOrder = Meter.CreateCounter<long>("chatcluster_gateway_push_order_total",
            description: "Pushes a connection did not send as they came (PushOrder), by outcome: held (behind a lower seq still missing), dropped (below a seq already sent), given_up (held for the whole window; the missing seq is skipped).");
        errors = Meter.CreateCounter<long>("chatcluster_gateway_errors_total", description: "Error frames sent to clients, by code.");
        ackLatency = Meter.CreateHistogram<double>(
            "chatcluster_gateway_ack_latency_seconds",
            unit: "s",
            description: "Time from a send frame to its ack.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    public Meter Meter { get; }

    /// <summary>Counts pushes held, dropped or released after giving up on a missing seq, on one connection.</summary>
    public void PushOrder(long held, long dropped, long givenUp)
    {
        if (held > 0)
        {
            pushOrder.Add(held, new KeyValuePair<string, object?>("outcome", "held"));
        }

        if (dropped > 0)
        {
            pushOrder.Add(dropped, new KeyValuePair<string, object?>("outcome", "dropped"));
        }

        if (givenUp > 0)
        {
            pushOrder.Add(givenUp, new KeyValuePair<string, object?>("outcome", "given_up"));
        }
    }

    public void ConnectionOpened() => connections.Add(1);

    public void ConnectionClosed() => connections.Add(-1);

    /// <summary>Counts an accepted upgrade: <paramref name="onConnection"/> when the connection middleware took it, else Kestrel's HTTP layer.</summary>
    public void UpgradeAccepted(bool onConnection) => upgrades.Add(1, new KeyValuePair<string, object?>("via", onConnection ? "connection" : "http"));

    public void FrameIn(ClientFrame frame) => framesIn.Add(1, new KeyValuePair<string, object?>("type", InTypeOf(frame)));

    public void AckLatency(TimeSpan elapsed) => ackLatency.Record(elapsed.TotalSeconds);

    /// <summary>Counts one outbound frame by the type its writer put first, and an error frame by its code too.</summary>
    public void FrameOut(ReadOnlySpan<byte> frame)
    {
        if (!framesOut.Enabled && !errors.Enabled)
        {
            return;
        }

        var type = NameAt(frame, TypePrefix, OutTypes);
        framesOut.Add(1, new KeyValuePair<string, object?>("type", type));
        if (type == "error")
        {
            errors.Add(1, new KeyValuePair<string, object?>("code", NameAt(frame, CodeField, Codes)));
        }
    }

    public void Dispose() => Meter.Dispose();

    private static string InTypeOf(ClientFrame frame) => frame switch
    {
        SendFrame => "send",
        SyncFrame => "sync",
        TimelinesFrame => "timelines",
        ReadFrame => "read",
        GroupCreateFrame => "group.create",
        GroupJoinFrame => "group.join",
        GroupLeaveFrame => "group.leave",
        GroupMembersFrame => "group.members",
        PingFrame => "ping",
        _ => "other",
    };

    /// <summary>The cached name whose bytes follow <paramref name="field"/> up to the closing quote; "other" if none matches.</summary>
    private static string NameAt(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> field, (byte[] Utf8, string Name)[] names)
    {
        var start = frame.IndexOf(field);
        if (start < 0)
        {
            return "other";
        }

        var rest = frame[(start + field.Length)..];
        var end = rest.IndexOf((byte)'"');
        var value = end < 0 ? rest : rest[..end];
        foreach (var (utf8, name) in names)
        {
            if (value.SequenceEqual(utf8))
            {
                return name;
            }
        }

        return "other";
    }
}
