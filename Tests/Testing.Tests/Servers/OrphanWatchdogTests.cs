using System.Globalization;
using ChatCluster.Testing.Servers;

namespace ChatCluster.Testing.Tests.Servers;

public sealed class OrphanWatchdogTests
{
    [Fact(Timeout = 60_000)]
    public async Task DisposedWatchdogsLeaveNoProcessBehind()
    {
        // Many at once, disposed while their shells' sleep children come and go: a watchdog left stopped (SIGSTOP sent,
        // SIGKILL not) would stay for ever, its directory never watched again.
        var directories = Enumerable.Range(0, 60).Select(_ => Directory.CreateTempSubdirectory("chatcluster-watchdog-test-").FullName).ToList();
        try
        {
            var watchdogs = directories.Select(OrphanWatchdog.Start).ToList();
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(directories.Count, WatchdogsOf(directories).Count);

            foreach (var watchdog in watchdogs)
            {
                watchdog.Dispose();
            }

            var left = WatchdogsOf(directories);
            for (var wait = 0; left.Count > 0 && wait < 30; wait++)
            {
                await Task.Delay(100);
                left = WatchdogsOf(directories);
            }

            Assert.Empty(left);
        }
        finally
        {
            foreach (var directory in directories)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    // The watchdog shells of these directories still running (or stopped): their arguments end with the directory.
    private static List<int> WatchdogsOf(List<string> directories)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(entry, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }

            if (arguments.Contains("chatcluster-watchdog") && directories.Contains(arguments[^1]))
            {
                found.Add(pid);
            }
        }

        return found;
    }
}
