using System.Globalization;

namespace ChatCluster.Bench;

/// <summary>The machine's load average, printed with every figure: these cores are shared with other jobs.</summary>
internal static class LoadAverage
{
    /// <summary>The 1, 5 and 15 minute load averages from <c>/proc/loadavg</c>, or "n/a" where there is none.</summary>
    public static string Now() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>The 1 minute load average, or NaN where there is none.</summary>
    public static double OneMinute() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : double.NaN;
}
