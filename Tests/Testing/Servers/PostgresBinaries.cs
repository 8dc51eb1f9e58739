using System.Globalization;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// Finds the PostgreSQL server binaries and knows how to run them: as the <c>postgres</c> user
/// when this process is root (initdb and postgres refuse to run as root), else as the current user.
/// </summary>
internal static class PostgresBinaries
{
    private const string SystemUser = "postgres";

    private static readonly Lazy<string> LazyBinDirectory = new(FindBinDirectory);

    public static string BinDirectory => LazyBinDirectory.Value;

    private static readonly Lazy<bool> LazyIsRoot = new(() => GetEffectiveUid() == 0);

    private static readonly Lazy<IReadOnlyList<string>> LazyUserPrefix = new(FindUserPrefix);

    public static bool IsRoot => LazyIsRoot.Value;

    /// <summary>A command prefix that runs the rest of the command as the postgres user (empty unless root).</summary>
    public static IReadOnlyList<string> UserPrefix => LazyUserPrefix.Value;

    public static string Path(string program) => System.IO.Path.Combine(BinDirectory, program);

    /// <summary>Runs a PostgreSQL program (initdb, pg_ctl) as the right user, throwing on failure.</summary>
    public static Task<string> RunAsync(
        string program, IEnumerable<string> arguments, TimeSpan timeout, string workingDirectory, CancellationToken cancellationToken)
    {
        var command = UserPrefix.Concat([Path(program)]).Concat(arguments).ToList();
        return ProcessRunner.RunCheckedAsync(command[0], command.Skip(1), timeout, cancellationToken, workingDirectory);
    }

    /// <summary>Hands <paramref name="directory"/> to the postgres user when running as root.</summary>
    public static async Task PrepareDirectoryAsync(string directory, CancellationToken cancellationToken)
    {
        if (IsRoot)
        {
            await ProcessRunner.RunCheckedAsync(
                    "chown", ["-R", $"{SystemUser}:{SystemUser}", directory], TimeSpan.FromSeconds(30), cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private static string FindBinDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("CHATCLUSTER_PG_BIN");
        if (!string.IsNullOrEmpty(overridden) && File.Exists(System.IO.Path.Combine(overridden, "initdb")))
        {
            return overridden;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.EnumerateDirectories(debianRoot)
                .Select(dir => (dir, version: ParseVersion(System.IO.Path.GetFileName(dir))))
                .Where(x => x.version is not null && File.Exists(System.IO.Path.Combine(x.dir, "bin", "initdb")))
                .OrderByDescending(x => x.version)
                .Select(x => System.IO.Path.Combine(x.dir, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        if (ProcessRunner.FindOnPath("pg_config") is { } pgConfig)
        {
            var result = ProcessRunner.RunAsync(pgConfig, ["--bindir"], TimeSpan.FromSeconds(10), CancellationToken.None)
                .GetAwaiter().GetResult();
            var bin = result.Output.Trim();
            if (result.ExitCode == 0 && File.Exists(System.IO.Path.Combine(bin, "initdb")))
            {
                return bin;
            }
        }

        if (ProcessRunner.FindOnPath("initdb") is { } initdb)
        {
            return System.IO.Path.GetDirectoryName(initdb)!;
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin, " +
            "via pg_config --bindir or on PATH. Install the postgresql package or set CHATCLUSTER_PG_BIN.");
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name.Contains('.', StringComparison.Ordinal) ? name : name + ".0", out var version)
            ? version
            : null;

    private static IReadOnlyList<string> FindUserPrefix()
    {
        if (!IsRoot)
        {
            return [];
        }

        // setpriv (util-linux) executes the program in place, so the pid we hold is the postmaster's.
        return ProcessRunner.FindOnPath("setpriv") is { } setpriv
            ? [setpriv, $"--reuid={SystemUser}", $"--regid={SystemUser}", "--init-groups", "--"]
            : throw new InvalidOperationException(
                "Running as root needs setpriv (util-linux) to start PostgreSQL as the postgres user.");
    }

    private static int GetEffectiveUid()
    {
        try
        {
            var status = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = status?.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 2 } ? int.Parse(fields[2], CultureInfo.InvariantCulture) : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
