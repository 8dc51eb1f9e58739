using System.Diagnostics;
using System.Text;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Processes;

/// <summary>
/// The silo, or the stand-alone gateway, as an operator runs it: a separate process, in its own temporary working
/// directory, on a free loopback port. It runs <c>ChatCluster.Silo.dll</c> (<see cref="Start"/>) or
/// <c>ChatCluster.Gateway.dll</c> (<see cref="StartGateway"/>) from the test's output folder, so a test project that
/// uses it references the Silo project (which references the Gateway).
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly OrphanWatchdog watchdog;

    private SiloProcess(Process process, OrphanWatchdog watchdog, string name, int port, string workingDirectory)
    {
        this.process = process;
        this.watchdog = watchdog;
        Name = name;
        Port = port;
        WorkingDirectory = workingDirectory;
    }

    /// <summary><c>silo</c> or <c>gateway</c>.</summary>
    public string Name { get; }

    public int Port { get; }

    /// <summary>The process id, e.g. to read its memory from /proc.</summary>
    public int ProcessId => process.Id;

    public string WorkingDirectory { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>False once the process has exited (stopped, killed or crashed).</summary>
    public bool IsRunning => !process.HasExited;

    /// <summary>Freezes the process (SIGSTOP): it neither heartbeats nor answers, as if cut off by a partition.</summary>
    public void Pause() => PosixSignal.Send(process.Id, PosixSignal.Stop);

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public void Resume() => PosixSignal.Send(process.Id, PosixSignal.Continue);

    /// <summary>Kills the process at once (SIGKILL), as a crash would, and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().ConfigureAwait(false);
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>dotnet ChatCluster.Silo.dll</c> with <paramref name="environment"/> (and <c>Urls</c> on a free port), its
    /// content root the test's output folder unless <paramref name="contentRoot"/> names another.
    /// </summary>
    public static SiloProcess Start(IDictionary<string, string>? environment = null, string? contentRoot = null) =>
        StartProcess("silo", "ChatCluster.Silo.dll", environment, contentRoot);

    /// <summary>
    /// Starts the stand-alone gateway, <c>dotnet ChatCluster.Gateway.dll</c>, with <paramref name="environment"/> (and
    /// <c>Urls</c> on a free port): an Orleans client that needs <c>CHATCLUSTER__CLUSTER__CLUSTERID</c>,
    /// <c>CHATCLUSTER__REDIS__CONFIGURATION</c> and silos with a <c>CHATCLUSTER__CLUSTER__GATEWAYPORT</c>.
    /// </summary>
    public static SiloProcess StartGateway(IDictionary<string, string>? environment = null) =>
        StartProcess("gateway", "ChatCluster.Gateway.dll", environment, contentRoot: null);

    private static SiloProcess StartProcess(string name, string assembly, IDictionary<string, string>? environment, string? contentRoot)
    {
        var port = FreePort.Get();
        var workingDirectory = Directory.CreateTempSubdirectory($"chatcluster-{name}-").FullName;
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        startInfo.ArgumentList.Add("--contentRoot");
        startInfo.ArgumentList.Add(contentRoot ?? AppContext.BaseDirectory);
        startInfo.Environment["Urls"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        // Kills the process and deletes its directory should this test process die without disposing it.
        var watchdog = OrphanWatchdog.Start(workingDirectory);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start the {name}");
        var started = new SiloProcess(process, watchdog, name, port, workingDirectory);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits until GET /healthz answers 200; fails with the process's output if it does not within the time.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but slow to answer (a busy machine): ask again until the deadline.
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"The {Name} did not become healthy within {timeout}:\n{Output}");
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        process.WaitForExit(); // drains the redirected output
        return process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as an orchestrator does, and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        return await WaitForExitAsync(timeout).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
        watchdog.Dispose();
        Directory.Delete(WorkingDirectory, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
