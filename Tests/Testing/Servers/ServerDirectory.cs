using System.Globalization;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A server's temporary directory. Our servers (and all their children) run with their working
/// directory inside it, which identifies them without pid files; the directory also records the
/// owning test process, so a later run can clean up after a run that was killed outright
/// (SIGKILL skips ProcessExit).
/// </summary>
internal sealed class ServerDirectory
{
    public const string PostgresPrefix = "chatcluster-pg-";
    public const string RedisPrefix = "chatcluster-redis-";
    public const string KafkaPrefix = "chatcluster-kafka-";

    private const string OwnerFile = "owner.pid";

    private static readonly Lock SweepLock = new();
    private static bool swept;

    private readonly OrphanWatchdog? watchdog;

    private ServerDirectory(string path, OrphanWatchdog? watchdog = null)
    {
        FullPath = path;
        this.watchdog = watchdog;
    }

    public string FullPath { get; }

    public static ServerDirectory Create(string prefix)
    {
        SweepStale();
        var info = Directory.CreateTempSubdirectory(prefix);
        File.WriteAllText(
            Path.Combine(info.FullName, OwnerFile),
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        return new ServerDirectory(info.FullName, OrphanWatchdog.Start(info.FullName));
    }

    public string Combine(string name) => Path.Combine(FullPath, name);

    /// <summary>Processes whose working directory is this directory or below it.</summary>
    public IReadOnlyList<int> ProcessesInside()
    {
        var inside = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId
                && IsInside(WorkingDirectoryOf(pid)))
            {
                inside.Add(pid);
            }
        }

        return inside;
    }

    /// <summary>SIGKILLs every process working inside the directory and waits (bounded) until none is left.</summary>
    public bool KillProcessesInside(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var remaining = ProcessesInside();
            if (remaining.Count == 0)
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            foreach (var pid in remaining)
            {
                PosixSignal.Send(pid, PosixSignal.Kill);
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// Deletes the directory, retrying briefly while a dying server still writes into it, then
    /// stops the watchdog (which would otherwise do it once this process is gone).
    /// </summary>
    public void Delete()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(FullPath))
                {
                    Directory.Delete(FullPath, recursive: true);
                }

                break;
            }
            catch (Exception exception) when (attempt < 20 && exception is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(50);
            }
        }

        watchdog?.Dispose();
    }

    /// <summary>Once per process: kills servers and deletes directories whose owner process is gone.</summary>
    public static void SweepStale()
    {
        lock (SweepLock)
        {
            if (swept)
            {
                return;
            }

            swept = true;
        }

        var root = Path.GetTempPath();
        var candidates = Directory.EnumerateDirectories(root, PostgresPrefix + "*")
            .Concat(Directory.EnumerateDirectories(root, RedisPrefix + "*"))
            .Concat(Directory.EnumerateDirectories(root, KafkaPrefix + "*"))
            .ToList();
        foreach (var path in candidates)
        {
            try
            {
                if (IsStale(path))
                {
                    var stale = new ServerDirectory(path);
                    stale.KillProcessesInside(TimeSpan.FromSeconds(5));
                    stale.Delete();
                }
            }
#pragma warning disable CA1031 // Best effort: a directory we cannot clean is left alone.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private static bool IsStale(string path)
    {
        var ownerFile = Path.Combine(path, OwnerFile);
        if (!File.Exists(ownerFile))
        {
            // Being created right now, or not ours to judge: only very old ones go.
            return Directory.GetLastWriteTimeUtc(path) < DateTime.UtcNow.AddHours(-6);
        }

        var text = File.ReadAllText(ownerFile).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
            && !Directory.Exists($"/proc/{owner}");
    }

    private bool IsInside(string? directory) =>
        directory is not null
        && (directory == FullPath || directory.StartsWith(FullPath + "/", StringComparison.Ordinal));

    private static string? WorkingDirectoryOf(int pid)
    {
        try
        {
            return Directory.ResolveLinkTarget($"/proc/{pid}/cwd", returnFinalTarget: false)?.FullName;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
