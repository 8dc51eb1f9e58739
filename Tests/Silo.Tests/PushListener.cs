using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// A user's device that only listens, over a raw WebSocket: it records every <c>msg</c> frame (a push) with the time it
/// arrived, and nothing else. Unlike the C# client, which also fills gaps with <c>sync</c>, what it counts are pushes
/// only. It does not reconnect: a connection that drops stops counting.
/// </summary>
internal sealed class PushListener : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<(DateTime At, string MsgId)> pushes = new();
    private Task reading = Task.CompletedTask;

    private PushListener(string user) => User = user;

    public string User { get; }

    /// <summary>Pushed messages in arrival order: when (UTC) and which.</summary>
    public IReadOnlyCollection<(DateTime At, string MsgId)> Pushes => pushes;

    public static async Task<PushListener> ConnectAsync(Uri webSocket, string token, string user)
    {
        var listener = new PushListener(user);
        listener.socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await listener.socket.ConnectAsync(webSocket, CancellationToken.None);
        listener.reading = Task.Run(listener.ReadAsync);
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await reading;
        socket.Dispose();
        stopping.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), stopping.Token);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var frame = JsonDocument.Parse(buffer.AsMemory(0, count));
                if (frame.RootElement.GetProperty("type").GetString() == "msg")
                {
                    pushes.Enqueue((DateTime.UtcNow, frame.RootElement.GetProperty("msgId").GetString()!));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Stopped, or the connection dropped: nothing more to count.
        }
    }
}
