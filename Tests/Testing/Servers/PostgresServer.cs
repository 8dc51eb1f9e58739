using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Npgsql;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A private PostgreSQL server for tests: its own data directory under a temporary directory,
/// listening on 127.0.0.1 on a free port, socket in the temporary directory, fsync off.
/// It can be stopped and started again on the same port and data (chaos tests); disposing
/// kills it and deletes the directory. A process-exit hook kills it if nobody disposes it.
/// </summary>
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string DefaultDatabase = "chatcluster";
    public const string AdminDatabase = "postgres";
    public const string User = "postgres";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    private readonly ServerDirectory directory;
    private readonly IDisposable exitRegistration;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> issuedConnectionStrings = new();
    private ServerProcess? process;
    private bool disposed;

    private PostgresServer(ServerDirectory directory, int port)
    {
        this.directory = directory;
        Port = port;
        ConnectionString = ConnectionStringFor(DefaultDatabase);
        exitRegistration = ProcessExitCleanup.Register(
            urgent: () => process?.Signal(PosixSignal.Quit),
            slow: KillAndDelete);
    }

    public int Port { get; }

    /// <summary>Connection string for the <c>chatcluster</c> database.</summary>
    public string ConnectionString { get; }

    public string DirectoryPath => directory.FullPath;

    public string DataDirectory => directory.Combine("data");

    public string LogPath => directory.Combine("postgres.log");

    public bool IsRunning => process is { HasExited: false };

    /// <summary>initdb in a new temporary directory, start, create the <c>chatcluster</c> database.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var server = new PostgresServer(ServerDirectory.Create(ServerDirectory.PostgresPrefix), FreePort.Get());
            try
            {
                await server.InitDbAsync(cancellationToken).ConfigureAwait(false);
                await server.StartAgainAsync(cancellationToken).ConfigureAwait(false);
                await server.CreateDatabaseAsync(DefaultDatabase, cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server.PortWasTaken())
            {
                // The free port was taken by another process between choosing it and PostgreSQL binding it: another one.
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private bool PortWasTaken() =>
        File.Exists(LogPath) && ServerProcess.ReadTail(LogPath).Contains("Address already in use", StringComparison.Ordinal);

    /// <summary>Connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionStringFor(string database)
    {
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Database = database,
            Timeout = 15,
            CommandTimeout = 30,
        }.ConnectionString;
        issuedConnectionStrings.TryAdd(connectionString, 0);
        return connectionString;
    }

    /// <summary>Creates database <paramref name="name"/> and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!DatabaseName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a plain database name ([A-Za-z_][A-Za-z0-9_]*, at most 63).", nameof(name));
        }

        await using (var connection = new NpgsqlConnection(AdminConnectionString()))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return ConnectionStringFor(name);
    }

    /// <summary>Creates a database with a unique name (<paramref name="prefix"/>_xxxxxxxxxxxx) for one test.</summary>
    public Task<string> CreateUniqueDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default) =>
        CreateDatabaseAsync($"{prefix}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 13)], cancellationToken);

    /// <summary>Fast shutdown (SIGINT, like <c>pg_ctl stop -m fast</c>); the data stays for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ShutDownAsync(PosixSignal.Interrupt, ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Crash: SIGKILL the postmaster and its backends (the next start does crash recovery).</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ClearPools();
            process?.Dispose();
            process = null;
            KillLeftovers();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Starts the server again on the same port and data directory; waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (IsRunning)
            {
                return;
            }

            if (process is not null)
            {
                // It exited on its own (crash): make sure no orphaned backend still holds the data directory.
                process.Dispose();
                process = null;
                KillLeftovers();
            }

            string[] command =
            [
                PostgresBinaries.Path("postgres"),
                "-D", DataDirectory,
                "-p", Port.ToString(CultureInfo.InvariantCulture),
                "-h", "127.0.0.1",
                "-k", DirectoryPath,
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "max_connections=200",
                "-c", "logging_collector=off",
            ];
            process = ServerProcess.Start(PostgresBinaries.UserPrefix, command, LogPath, DirectoryPath);
            await WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary><see cref="StopAsync"/> then <see cref="StartAgainAsync"/>.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await StartAgainAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            try
            {
                await ShutDownAsync(PosixSignal.Quit, TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
            {
                // Whatever survived is SIGKILLed below; disposal must not throw.
            }

            KillAndDelete();
            exitRegistration.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }

    public override string ToString() => $"PostgresServer 127.0.0.1:{Port} ({DirectoryPath}, log {LogPath})";

    private async Task InitDbAsync(CancellationToken cancellationToken)
    {
        await PostgresBinaries.PrepareDirectoryAsync(DirectoryPath, cancellationToken).ConfigureAwait(false);
        try
        {
            await PostgresBinaries.RunAsync(
                    "initdb",
                    ["-D", DataDirectory, "-A", "trust", "-U", User, "-E", "UTF8", "--locale=C", "--no-sync"],
                    TimeSpan.FromMinutes(2),
                    DirectoryPath,
                    cancellationToken)
                .ConfigureAwait(false);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidOperationException($"initdb failed for {DataDirectory}: {exception.Message}", exception);
        }
    }

    /// <summary>Signals the postmaster, waits for it to exit, SIGKILLs whatever is left. Caller holds the gate.</summary>
    private async Task ShutDownAsync(int signal, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ClearPools();
        if (process is null)
        {
            return;
        }

        process.Signal(signal);
        var exited = await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        var tail = exited ? null : process.LogTail();
        process.Dispose();
        process = null;
        KillLeftovers();
        if (!exited)
        {
            throw new TimeoutException(
                $"PostgreSQL did not shut down within {timeout.TotalSeconds:0} s of signal {signal}; killed. Log {LogPath}:\n{tail}");
        }
    }

    /// <summary>Backends exit by themselves once the postmaster is gone; make sure before the next start.</summary>
    private void KillLeftovers()
    {
        if (!directory.KillProcessesInside(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException(
                $"PostgreSQL processes in {DirectoryPath} survived SIGKILL: {string.Join(", ", directory.ProcessesInside())}.");
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(AdminConnectionString()) { Timeout = 2 }.ConnectionString;
        var deadline = DateTime.UtcNow + ReadyTimeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process is null || process.HasExited)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL exited during start-up (port {Port}). Log {LogPath}:\n{ServerProcess.ReadTail(LogPath)}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                last = exception;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException(
            $"PostgreSQL did not accept connections on 127.0.0.1:{Port} within {ReadyTimeout.TotalSeconds:0} s " +
            $"(last error: {last?.Message}). Log {LogPath}:\n{ServerProcess.ReadTail(LogPath)}");
    }

    private string AdminConnectionString() =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Database = AdminDatabase,
            Pooling = false,
            Timeout = 15,
        }.ConnectionString;

    private void ClearPools()
    {
        foreach (var connectionString in issuedConnectionStrings.Keys)
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }
    }

    /// <summary>Synchronous, last-resort clean-up (also the process-exit hook).</summary>
    private void KillAndDelete()
    {
        if (process is { } running && !running.WaitForExit(TimeSpan.FromSeconds(2)))
        {
            running.Signal(PosixSignal.Kill);
        }

        process?.Dispose();
        process = null;
        directory.KillProcessesInside(TimeSpan.FromSeconds(2));
        directory.Delete();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex DatabaseName();
}
