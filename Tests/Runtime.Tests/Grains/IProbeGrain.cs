using ChatCluster.Runtime;

namespace ChatCluster.Runtime.Tests.Grains;

/// <summary>Records how grain code overlaps: calls in flight at once, and grain code on two threads at once.</summary>
public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>Runs a synchronous slice, awaits <paramref name="delayMs"/>, runs another slice.</summary>
    Task Work(int delayMs);

    /// <summary>The most calls that were in progress at one time.</summary>
    Task<int> MaxCallsInFlight();

    /// <summary>How often grain code was found running on two threads at once (must be 0).</summary>
    Task<int> ThreadOverlaps();

    [AlwaysInterleave]
    Task<int> CallsInFlight();

    Task Noop();

    Task<int> Echo(int value);

    Task Fail(string message, bool beforeAwait);

    Task Hang(int milliseconds);

    Task StartTicking(int periodMs);

    Task StopTicking();

    Task<int> Ticks();

    Task SetKeepAlive(bool keepAlive);

    Task<Guid> ActivationId();
}

public interface ISerialProbeGrain : IProbeGrain;

public interface IReentrantProbeGrain : IProbeGrain;
