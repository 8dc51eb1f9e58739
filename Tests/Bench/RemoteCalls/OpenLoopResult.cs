using ChatCluster.Bench.WebSockets;

namespace ChatCluster.Bench.RemoteCalls;

/// <summary>
/// What an open loop measured: <see cref="Latency"/> counts from each call's scheduled time, <see cref="ServiceLatency"/>
/// from when the driver actually issued it (without the driver's own lateness).
/// </summary>
internal sealed record OpenLoopResult(
    long Issued, long Completed, long Failed, TimeSpan Elapsed, LatencyRecorder Latency, LatencyRecorder ServiceLatency, TimeSpan DriverLongestGap,
    int Gen0, int Gen2, TimeSpan GcPause);
