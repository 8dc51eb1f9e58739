using System.Diagnostics;
using System.Globalization;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A detached <c>sh</c> per server directory that waits for this (test) process to disappear, then
/// SIGKILLs every process working inside the directory and deletes it. It covers what in-process
/// clean-up cannot: a test host killed outright (hang timeout, SIGKILL) or torn down by the test
/// platform while its process-exit handlers still run. Disposed with the server.
/// </summary>
internal sealed class OrphanWatchdog : IDisposable
{
    private const string Script = """
        exec </dev/null >/dev/null 2>&1
        owner=$1; dir=$2
        while [ -d "/proc/$owner" ]; do sleep 0.5; done
        # Polite first, so PostgreSQL removes its shared memory: SIGTERM to all (redis and initdb's bootstrap
        # backend exit cleanly on it), then SIGQUIT (immediate shutdown) to a postmaster still there.
        inside() {
          for p in /proc/[0-9]*; do
            cwd=$(readlink "$p/cwd") || continue
            case "$cwd" in "$dir"|"$dir"/*) echo "${p#/proc/}" ;; esac
          done
        }
        for pid in $(inside); do kill -TERM "$pid"; done
        sleep 1
        for pid in $(inside); do [ "$(cat "/proc/$pid/comm")" = postgres ] && kill -QUIT "$pid"; done
        sleep 1
        for attempt in 1 2 3 4 5 6 7 8 9 10; do
          pids=$(inside)
          [ -z "$pids" ] && break
          for pid in $pids; do kill -9 "$pid"; done
          sleep 0.2
        done
        rm -rf "$dir"
        """;

    private readonly Process process;

    private OrphanWatchdog(Process process) => this.process = process;

    public static OrphanWatchdog Start(string directory)
    {
        var startInfo = new ProcessStartInfo(ProcessRunner.FindOnPath("setsid") ?? "setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in new[]
                 {
                     "/bin/sh", "-c", Script.Replace("\r", string.Empty, StringComparison.Ordinal), "chatcluster-watchdog",
                     Environment.ProcessId.ToString(CultureInfo.InvariantCulture), directory,
                 })
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new OrphanWatchdog(
            Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start the orphan watchdog (setsid sh)."));
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                // One SIGKILL to the shell; its sleep ends by itself. Killing the tree first SIGSTOPs the shell, and a test
                // host torn down before the SIGKILL that follows left it stopped for ever, watching nothing (seen after CI).
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }
}
