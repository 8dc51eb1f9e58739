using System.Runtime.InteropServices;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// kill(2) on a single process. Used instead of Process.Kill(entireProcessTree), which SIGSTOPs
/// every descendant before killing it and can leave stopped PostgreSQL children behind when the
/// test host is torn down half-way through its process-exit handlers.
/// </summary>
internal static partial class PosixSignal
{
    public const int Interrupt = 2;   // SIGINT: PostgreSQL fast shutdown.
    public const int Quit = 3;        // SIGQUIT: PostgreSQL immediate shutdown.
    public const int Kill = 9;        // SIGKILL.
    public const int Terminate = 15;  // SIGTERM: graceful (Redis flushes its AOF).
    public const int Continue = 18;   // SIGCONT: resume a stopped process.
    public const int Stop = 19;       // SIGSTOP: freeze a process (cannot be caught), as a partition would silence it.

    /// <summary>Sends <paramref name="signal"/>; false when the process does not exist (any more).</summary>
    public static bool Send(int processId, int signal) => processId > 0 && NativeKill(processId, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int sig);
}
