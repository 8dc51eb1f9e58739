using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ChatCluster.Bench.WebSockets;

/// <summary>
/// The real silo as a child process (the Release build of ChatCluster.Silo) on a free loopback
/// port, with its SQLite files in a temporary folder that is deleted when it stops.
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly Process process;
    private readonly string directory;

    private BenchSilo(Process process, string directory, Uri url)
    {
        this.process = process;
        this.directory = directory;
        Url = url;
    }

    public Uri Url { get; }

    public int Pid => process.Id;

    public static async Task<BenchSilo> StartAsync(string signingKey, TimeSpan keepAliveInterval, TimeSpan idleTimeout, TextWriter log)
    {
        var dll = FindSiloDll();
        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("chatcluster-ws-bench-").FullName;
        var url = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["Urls"] = url.ToString().TrimEnd('/');
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["CHATCLUSTER__Gateway__SigningKey"] = signingKey;
        start.Environment["CHATCLUSTER__Gateway__DevTokens"] = "false";
        start.Environment["CHATCLUSTER__Gateway__KeepAliveInterval"] = keepAliveInterval.ToString("c", CultureInfo.InvariantCulture);
        start.Environment["CHATCLUSTER__Gateway__IdleTimeout"] = idleTimeout.ToString("c", CultureInfo.InvariantCulture);
        start.Environment["CHATCLUSTER__Storage__Provider"] = "Sqlite";
        start.Environment["CHATCLUSTER__Storage__SqliteDirectory"] = Path.Combine(directory, "data");

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo");
        // Drained so a chatty silo never blocks on a full pipe; only warnings and errors reach the bench's log.
        process.OutputDataReceived += (_, e) => Echo(log, e.Data);
        process.ErrorDataReceived += (_, e) => Echo(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var silo = new BenchSilo(process, directory, url);
        try
        {
            await silo.WaitUntilReadyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            return silo;
        }
        catch
        {
            await silo.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private async Task WaitUntilReadyAsync(TimeSpan bound)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with code {process.ExitCode} during start-up");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the silo was not ready within {bound}");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Silo/bin/Release/net10.0/ChatCluster.Silo.dll of the repository this bench was built in.</summary>
    private static string FindSiloDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatCluster.sln")))
            {
                var dll = Path.Combine(dir.FullName, "Silo", "bin", "Release", "net10.0", "ChatCluster.Silo.dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the silo first: dotnet build -c Release ChatCluster.sln ({dll})");
            }
        }

        throw new DirectoryNotFoundException("ChatCluster.sln not found above the bench's folder");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Echo(TextWriter log, string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            log.WriteLine($"  silo: {line}");
        }
    }
}
