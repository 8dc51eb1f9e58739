using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Testing.Servers;

/// <summary>Free TCP ports on the loopback address.</summary>
public static class FreePort
{
    /// <summary>Binds port 0 on 127.0.0.1, reads the port the OS chose and releases it.</summary>
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
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
}
