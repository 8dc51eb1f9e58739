using System.Net;
using System.Net.Sockets;
using System.Text;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Tests.Servers;

public sealed class RedisServerTests
{
    private const int Timeout = 60_000;

    [Fact(Timeout = Timeout)]
    public async Task StartsAnswersPingAndRestartsOnTheSamePort()
    {
        await using var server = await RedisServer.StartAsync();
        Assert.Equal($"127.0.0.1:{server.Port}", server.Endpoint);
        Assert.Equal("+PONG", await SendAsync(server.Port, "PING"));

        await server.StopAsync();
        Assert.False(server.IsRunning);
        Assert.False(FreePort.IsAcceptingConnections(server.Port));

        await server.StartAgainAsync();
        Assert.Equal("+PONG", await SendAsync(server.Port, "PING"));
    }

    [Fact(Timeout = Timeout)]
    public async Task AppendOnlyDataSurvivesARestart()
    {
        await using var server = await RedisServer.StartAsync(appendOnly: true);
        Assert.Equal("+OK", await SendAsync(server.Port, "SET k survives"));

        await server.RestartAsync();

        Assert.Equal("$8\r\nsurvives", await SendAsync(server.Port, "GET k"));
    }

    [Fact(Timeout = Timeout)]
    public async Task DisposeKillsTheServerAndDeletesTheDirectory()
    {
        var server = await RedisServer.StartAsync();
        var port = server.Port;
        var directory = server.DirectoryPath;
        Assert.True(Directory.Exists(directory));

        await server.DisposeAsync();

        Assert.False(FreePort.IsAcceptingConnections(port));
        Assert.False(await RedisServer.PingAsync(port));
        Assert.False(Directory.Exists(directory));
    }

    [Fact(Timeout = Timeout)]
    public async Task SharedServerIsOneInstance()
    {
        var first = await SharedServers.Redis;
        Assert.Same(first, await SharedServers.Redis);
        Assert.True(await first.PingAsync());
    }

    /// <summary>Sends one inline command over a raw socket and returns the reply without its final CRLF.</summary>
    private static async Task<string> SendAsync(int port, string inlineCommand)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes(inlineCommand + "\r\n"), SocketFlags.None, timeout.Token);
        var buffer = new byte[256];
        var reply = new StringBuilder();
        do
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            reply.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        while (socket.Available > 0 || !IsComplete(reply.ToString()));

        return reply.ToString().TrimEnd('\r', '\n');
    }

    private static bool IsComplete(string reply) =>
        reply.StartsWith('$') ? reply.Count(c => c == '\n') >= 2 : reply.EndsWith('\n');
}
