using System.Globalization;
using ChatCluster.Testing.Processes;

namespace ChatCluster.Bench.WebSockets;

/// <summary>Starts the real silo (the Release build beside the bench) for a WebSocket bench: its own port, temp folder and SQLite files.</summary>
internal static class BenchSilo
{
    /// <param name="signingKey">The HS256 key the bench signs its tokens with.</param>
    /// <param name="settings">Extra <c>CHATCLUSTER__…</c> settings, e.g. a higher send rate limit.</param>
    public static async Task<SiloProcess> StartAsync(string signingKey, IDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["CHATCLUSTER__Gateway__SigningKey"] = signingKey,
            ["CHATCLUSTER__Gateway__DevTokens"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var silo = SiloProcess.Start(environment);
        try
        {
            await silo.WaitHealthyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A duration as the silo's settings expect it ("c" format, e.g. 00:00:10).</summary>
    public static string Setting(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
