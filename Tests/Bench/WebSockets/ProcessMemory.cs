using System.Globalization;

namespace ChatCluster.Bench.WebSockets;

/// <summary>A process's resident set size, from <c>/proc/PID/status</c> (Linux only).</summary>
internal static class ProcessMemory
{
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:	  123456 kB"
                var kib = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{pid}/status");
    }

    public static int OpenFiles(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
