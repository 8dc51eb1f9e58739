using System.Net;
using System.Net.Sockets;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Tests.Servers;

public sealed class FreePortTests
{
    [Fact]
    public void PortsAreBelowTheEphemeralRangeBindableAndNeverHandedOutTwice()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        var ports = Enumerable.Range(0, 200).Select(_ => FreePort.Get()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 10_000, ephemeralLow - 1));
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
        Assert.True(FreePort.IsAcceptingConnections(ports[^1]));
    }
}
