using ChatCluster.Client;
using ChatCluster.Client.Tokens;
using ChatCluster.Testing.Processes;

namespace ChatCluster.Silo.Tests;

/// <summary>C# clients of a <see cref="ProcessCluster"/>'s gateways.</summary>
internal static class ProcessClusterClients
{
    /// <summary>A connected client of <paramref name="user"/> on <paramref name="process"/>'s gateway.</summary>
    public static async Task<ChatClient> ConnectAsync(this ProcessCluster cluster, SiloProcess process, string user)
    {
        var client = new ChatClient(new ChatClientOptions
        {
            ServerUri = new Uri($"ws://127.0.0.1:{process.Port}/ws"),
            TokenProvider = DevTokens.For(cluster.Http(process), user),
            RequestTimeout = TimeSpan.FromSeconds(30),
        });
        await client.ConnectAsync();
        return client;
    }
}
