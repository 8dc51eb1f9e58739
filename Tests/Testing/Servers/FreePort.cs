using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Testing.Servers;

/// <summary>Free TCP ports on the loopback address.</summary>
public static class FreePort
{
    // Below the kernel's ephemeral range: a port chosen by binding port 0 comes from that range, from which the kernel
    // also takes the local port of every outgoing connection, so in the seconds before a server binds it a connection
    // (to Redis, PostgreSQL, a silo) could take it ("address already in use", seen in CI). Nothing takes these unasked.
    private const int Lowest = 10_000;
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port on 127.0.0.1 that nothing listens on now, below the ephemeral range, never handed out before by this
    /// process (so tests running in parallel never get the same one).
    /// </summary>
    public static int Get()
    {
        var highest = EphemeralLow() - 1;
        for (var attempt = 0; highest - Lowest >= 1_000 && attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Lowest, highest + 1);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port))
                {
                    continue;
                }
            }

            if (CanBind(port))
            {
                return port;
            }
        }

        // No room below the ephemeral range (an unusual kernel setting): let the kernel choose.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var chosen = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return chosen;
    }

    /// <summary>True when something accepts a TCP connection on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsAcceptingConnections(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The first port of net.ipv4.ip_local_port_range; Linux's default when it cannot be read.
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
