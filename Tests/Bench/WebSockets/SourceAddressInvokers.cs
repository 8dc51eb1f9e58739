using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Bench.WebSockets;

/// <summary>
/// HTTP invokers whose sockets connect from 127.0.0.2, 127.0.0.3, …: one source address has only
/// ~28k ephemeral ports, so many connections to one server port need several.
/// </summary>
internal sealed class SourceAddressInvokers : IDisposable
{
    private readonly HttpMessageInvoker[] invokers;

    public SourceAddressInvokers(int addresses)
    {
        invokers = [.. Enumerable.Range(2, addresses).Select(last => new HttpMessageInvoker(HandlerFrom(new IPAddress([127, 0, 0, (byte)last]))))];
    }

    public int Count => invokers.Length;

    /// <summary>The invoker for connection <paramref name="index"/>: round-robin over the addresses.</summary>
    public HttpMessageInvoker For(int index) => invokers[index % invokers.Length];

    public void Dispose()
    {
        foreach (var invoker in invokers)
        {
            invoker.Dispose();
        }
    }

    private static SocketsHttpHandler HandlerFrom(IPAddress local) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
