using System.Diagnostics;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A long-running server process whose stdout and stderr go straight to a log file
/// (through <c>/bin/sh -c 'exec …'</c>, so the process id is the server's own and no pipe
/// ties the server to this process).
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const string ExecScript = "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1";

    private readonly Process process;

    private ServerProcess(Process process, string logPath)
    {
        this.process = process;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>
    /// Starts <paramref name="command"/> (file name first). <paramref name="userPrefix"/> is an optional
    /// command that switches user and then executes its remaining arguments (setpriv … --).
    /// </summary>
    public static ServerProcess Start(
        IReadOnlyList<string> userPrefix,
        IReadOnlyList<string> command,
        string logPath,
        string workingDirectory)
    {
        var all = new List<string>(userPrefix) { "/bin/sh", "-c", ExecScript, "sh", logPath };
        all.AddRange(command);

        var startInfo = new ProcessStartInfo(all[0])
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in all.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{string.Join(' ', all)}'.");
        return new ServerProcess(process, logPath);
    }

    /// <summary>Sends a POSIX signal (see <see cref="PosixSignal"/>) to the server process only.</summary>
    public void Signal(int signal)
    {
        if (!HasExited)
        {
            PosixSignal.Send(Id, signal);
        }
    }

    /// <summary>Waits for exit; false when the process still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public bool WaitForExit(TimeSpan timeout) => process.WaitForExit(timeout);

    /// <summary>The last <paramref name="maxChars"/> characters of the log file.</summary>
    public string LogTail(int maxChars = 4000) => ReadTail(LogPath, maxChars);

    public static string ReadTail(string path, int maxChars = 4000)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            return text.Length <= maxChars ? text : "…" + text[^maxChars..];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"(log {path} unreadable: {exception.Message})";
        }
    }

    /// <summary>SIGKILLs the process (only it; see <see cref="PosixSignal"/>) and releases the handle.</summary>
    public void Dispose()
    {
        Signal(PosixSignal.Kill);
        process.WaitForExit(TimeSpan.FromSeconds(5));
        process.Dispose();
    }
}
