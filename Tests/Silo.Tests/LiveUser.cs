using ChatCluster.Client;
using ChatCluster.Client.Messages;
using ChatCluster.Client.Tokens;
using ChatCluster.Testing.Processes;

namespace ChatCluster.Silo.Tests;

/// <summary>A user connected with the C# client to the WebSocket gateway of a silo or stand-alone gateway process.</summary>
internal sealed class LiveUser(string name, ChatClient client, HttpClient http) : IAsyncDisposable
{
    public static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(30);

    public string Name { get; } = name;

    public ChatClient Client { get; } = client;

    /// <summary>Connects <paramref name="name"/> to <paramref name="process"/>'s <c>/ws</c> with a development token from it.</summary>
    public static async Task<LiveUser> ConnectAsync(SiloProcess process, string name)
    {
        var http = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var client = new ChatClient(new ChatClientOptions
        {
            ServerUri = new Uri($"ws://127.0.0.1:{process.Port}/ws"),
            TokenProvider = DevTokens.For(http, name),
            RequestTimeout = TimeSpan.FromSeconds(30),
        });
        await client.ConnectAsync();
        return new LiveUser(name, client, http);
    }

    /// <summary>
    /// Reads pushed messages until one matches (skipping others); fails after <paramref name="timeout"/> (default
    /// <see cref="PushTimeout"/>) with <paramref name="diagnostics"/>.
    /// </summary>
    public async Task<ChatMessage> ReceiveAsync(Func<ChatMessage, bool> match, Func<string> diagnostics, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? PushTimeout);
        try
        {
            while (true)
            {
                var message = await Client.Messages.ReadAsync(cancel.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"{Name} got no matching push within {(timeout ?? PushTimeout).TotalSeconds} s\n{diagnostics()}");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        http.Dispose();
    }
}
