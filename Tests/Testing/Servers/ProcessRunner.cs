using System.Diagnostics;

namespace ChatCluster.Testing.Servers;

/// <summary>Runs short-lived helper commands (initdb, pg_ctl, chown, kill) to completion.</summary>
internal static class ProcessRunner
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs the command, captures stdout and stderr, kills it after <paramref name="timeout"/>.</summary>
    public static async Task<Result> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {Describe(startInfo)}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"{Describe(startInfo)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        return new Result(process.ExitCode, output);
    }

    /// <summary>Like <see cref="RunAsync"/>, but throws with the output when the exit code is not 0.</summary>
    public static async Task<string> RunCheckedAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        string? workingDirectory = null)
    {
        var argumentList = arguments.ToList();
        var result = await RunAsync(fileName, argumentList, timeout, cancellationToken, workingDirectory)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', argumentList)}' exited with code {result.ExitCode}:{Environment.NewLine}{result.Output}");
        }

        return result.Output;
    }

    /// <summary>Finds an executable on PATH; null when absent.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Describe(ProcessStartInfo startInfo) =>
        $"'{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}'";
}
