using System.Net;

namespace ChatCluster.Runtime.Transport;

/// <summary>Settings of the silo-to-silo transport: configuration section <c>ChatCluster:Transport</c>.</summary>
public sealed class TransportOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string Section = "ChatCluster:Transport";

    /// <summary>The IP address the silo listens on for other silos and gateways.</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The TCP port the silo listens on; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Calls a connection may have awaiting responses; further callers wait for a slot (backpressure).</summary>
    public int MaxPendingCalls { get; set; } = 10_000;

    /// <summary>How long opening a connection to a peer may take before the call fails.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest frame accepted, in bytes; a bigger one is a protocol error that closes the connection.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Checks every value; returns one message per bad setting, naming it by its configuration key.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(ListenAddress, out _))
        {
            yield return $"{Section}:{nameof(ListenAddress)} is \"{ListenAddress}\"; it must be an IP address (e.g. \"127.0.0.1\").";
        }

        if (Port is < 0 or > 65535)
        {
            yield return $"{Section}:{nameof(Port)} is {Port}; it must be between 0 (a free port) and 65535.";
        }

        if (MaxPendingCalls is < 1 or > 1_000_000)
        {
            yield return $"{Section}:{nameof(MaxPendingCalls)} is {MaxPendingCalls}; it must be between 1 and 1000000.";
        }

        if (ConnectTimeout < TimeSpan.FromMilliseconds(1) || ConnectTimeout > TimeSpan.FromMinutes(10))
        {
            yield return $"{Section}:{nameof(ConnectTimeout)} is {ConnectTimeout}; it must be between 00:00:00.001 and 00:10:00 (e.g. \"00:00:05\").";
        }

        if (MaxFrameBytes is < 65536 or > 1024 * 1024 * 1024)
        {
            yield return $"{Section}:{nameof(MaxFrameBytes)} is {MaxFrameBytes}; it must be between 65536 and 1073741824.";
        }
    }
}
