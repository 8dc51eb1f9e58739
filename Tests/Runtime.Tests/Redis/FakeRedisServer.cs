using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Runtime.Tests.Redis;

/// <summary>
/// A TCP server on a free loopback port that answers each connection with canned bytes (one answer per
/// accepted connection, in order; the last one repeats) after the client's first bytes — or never, for
/// an answer of null: a server that misbehaves the ways a real one does not.
/// </summary>
internal sealed class FakeRedisServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<TcpClient> clients = [];
    private readonly Task accepting;

    public FakeRedisServer(params byte[]?[] answers)
    {
        listener.Start();
        accepting = AcceptAsync(answers);
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public int Connections { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped while accepting.
        }

        lock (clients)
        {
            clients.ForEach(c => c.Dispose());
        }

        stop.Dispose();
    }

    private async Task AcceptAsync(byte[]?[] answers)
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            lock (clients)
            {
                clients.Add(client);
            }

            var answer = answers[Math.Min(Connections, answers.Length - 1)];
            Connections++;
            _ = AnswerAsync(client, answer);
        }
    }

    private async Task AnswerAsync(TcpClient client, byte[]? answer)
    {
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[4096];
            await stream.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false, stop.Token);
            if (answer is not null)
            {
                await stream.WriteAsync(answer, stop.Token);
            }

            // Keep reading (and ignoring) until the client goes away.
            while (await stream.ReadAsync(buffer, stop.Token) > 0)
            {
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The test is over or the client closed the connection.
        }
    }
}
