using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ChatCluster.Gateway.Tests.EndToEnd;

/// <summary>A test's WebSocket client: sends frames as text, reads whole frames as JSON, every wait bounded.</summary>
public sealed class WsClient : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly ClientWebSocket socket;

    private WsClient(ClientWebSocket socket) => this.socket = socket;

    public WebSocketState State => socket.State;

    public static async Task<WsClient> ConnectAsync(Uri uri, string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        using var timeout = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(uri, timeout.Token);
        return new WsClient(socket);
    }

    public Task SendAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] data, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(Wait);
        await socket.SendAsync(data, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>The next frame, or null when the server closed the connection (see <see cref="CloseStatus"/>).</summary>
    public async Task<JsonElement?> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Wait);
        var buffer = new byte[256 * 1024];
        var count = 0;
        WebSocketReceiveResult result;
        do
        {
            if (count == buffer.Length)
            {
                throw new InvalidOperationException("a server frame larger than the test buffer");
            }

            result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Answer the close at once, as browsers do, so the server need not wait for it.
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                return null;
            }

            count += result.Count;
        }
        while (!result.EndOfMessage);

        using var document = JsonDocument.Parse(buffer.AsMemory(0, count));
        return document.RootElement.Clone();
    }

    /// <summary>Reads frames until one of <paramref name="type"/>, skipping others (e.g. pushed system messages).</summary>
    public async Task<JsonElement> NextOfTypeAsync(string type)
    {
        while (true)
        {
            var frame = await NextAsync() ?? throw new InvalidOperationException($"closed ({socket.CloseStatus}) while waiting for '{type}'");
            if (frame.GetProperty("type").GetString() == type)
            {
                return frame;
            }
        }
    }

    /// <summary>The next frame, which must be of <paramref name="type"/>.</summary>
    public async Task<JsonElement> ExpectAsync(string type)
    {
        var frame = await NextAsync() ?? throw new InvalidOperationException($"closed ({socket.CloseStatus}) while waiting for '{type}'");
        Assert.True(frame.GetProperty("type").GetString() == type, $"expected '{type}', got {frame}");
        return frame;
    }

    /// <summary>Sends <paramref name="json"/> and returns the reply, skipping pushed <c>msg</c> frames.</summary>
    public async Task<JsonElement> RequestAsync(string json)
    {
        await SendAsync(json);
        while (true)
        {
            var frame = await NextAsync() ?? throw new InvalidOperationException($"closed ({socket.CloseStatus}) while waiting for a reply to {json}");
            if (frame.GetProperty("type").GetString() != "msg")
            {
                return frame;
            }
        }
    }

    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Already gone.
        }

        socket.Dispose();
    }
}
