using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ChatCluster.Testing.Servers;

/// <summary>
/// A private redis-server for tests on 127.0.0.1 on a free port, working directory in a temporary
/// directory, no RDB snapshots, AOF optional. It can be stopped and started again on the same port
/// and directory (with AOF the data survives); disposing kills it and deletes the directory.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly ServerDirectory directory;
    private readonly string executable;
    private readonly IDisposable exitRegistration;
    private readonly SemaphoreSlim gate = new(1, 1);
    private ServerProcess? process;
    private bool disposed;

    private RedisServer(ServerDirectory directory, string executable, int port, bool appendOnly, string? password)
    {
        this.directory = directory;
        this.executable = executable;
        Port = port;
        AppendOnly = appendOnly;
        Password = password;
        exitRegistration = ProcessExitCleanup.Register(
            urgent: () => process?.Signal(PosixSignal.Kill),
            slow: KillAndDelete);
    }

    public int Port { get; }

    /// <summary>"127.0.0.1:port", as StackExchange.Redis configuration strings expect.</summary>
    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public bool AppendOnly { get; }

    /// <summary>The password clients must AUTH with (redis-server's requirepass), or null for none.</summary>
    public string? Password { get; }

    public string DirectoryPath => directory.FullPath;

    public string LogPath => directory.Combine("redis.log");

    public bool IsRunning => process is { HasExited: false };

    /// <summary>Starts redis-server (must be on PATH: <c>bash infra/install-deps.sh</c> installs it).</summary>
    public static Task<RedisServer> StartAsync(bool appendOnly = false, CancellationToken cancellationToken = default) =>
        StartAsync(appendOnly, password: null, cancellationToken);

    /// <summary>Starts redis-server that requires <paramref name="password"/> (requirepass) when it is not null.</summary>
    public static async Task<RedisServer> StartAsync(bool appendOnly, string? password, CancellationToken cancellationToken = default)
    {
        var executable = ProcessRunner.FindOnPath("redis-server")
            ?? throw new InvalidOperationException(
                "redis-server is not on PATH. Run `bash infra/install-deps.sh` (as root) to install it.");
        var server = new RedisServer(
            ServerDirectory.Create(ServerDirectory.RedisPrefix), executable, FreePort.Get(), appendOnly, password);
        try
        {
            await server.StartAgainAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Graceful shutdown (SIGTERM; with AOF the log is flushed). The directory stays.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (process is null)
            {
                return;
            }

            process.Signal(PosixSignal.Terminate);
            if (!await process.WaitForExitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false))
            {
                var tail = process.LogTail();
                process.Dispose();
                process = null;
                throw new TimeoutException($"redis-server did not exit after SIGTERM; killed. Log {LogPath}:\n{tail}");
            }

            process.Dispose();
            process = null;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Crash: SIGKILL the server.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            process?.Dispose();
            process = null;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Starts the server again on the same port and directory; waits until it answers PING.</summary>
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

            process?.Dispose();
            string[] command =
            [
                executable,
                "--port", Port.ToString(CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--dir", DirectoryPath,
                "--save", string.Empty,
                "--appendonly", AppendOnly ? "yes" : "no",
                "--daemonize", "no",
                "--logfile", string.Empty,
                .. Password is null ? Array.Empty<string>() : ["--requirepass", Password],
            ];
            process = ServerProcess.Start([], command, LogPath, DirectoryPath);
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

    /// <summary>Sends PING (after AUTH when the server has a password) over a raw socket; true when the answer is +PONG.</summary>
    public Task<bool> PingAsync(CancellationToken cancellationToken = default) => PingAsync(Port, Password, cancellationToken);

    /// <summary>Sends PING to 127.0.0.1:<paramref name="port"/> over a raw socket; true when the answer is +PONG.</summary>
    public static Task<bool> PingAsync(int port, CancellationToken cancellationToken = default) => PingAsync(port, null, cancellationToken);

    private static async Task<bool> PingAsync(int port, string? password, CancellationToken cancellationToken)
    {
        var request = password is null ? "PING\r\n" : $"AUTH {password}\r\nPING\r\n";
        var expected = password is null ? "+PONG" : "+OK\r\n+PONG";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.UTF8.GetBytes(request), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var received = 0;
            while (received < expected.Length + 2)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token)
                    .ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                received += read;
            }

            return Encoding.ASCII.GetString(buffer, 0, received).StartsWith(expected, StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
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
            KillAndDelete();
            exitRegistration.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }

    public override string ToString() => $"RedisServer {Endpoint} ({DirectoryPath}, log {LogPath})";

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process is null || process.HasExited)
            {
                throw new InvalidOperationException(
                    $"redis-server exited during start-up (port {Port}). Log {LogPath}:\n{ServerProcess.ReadTail(LogPath)}");
            }

            if (await PingAsync(cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException(
            $"redis-server did not answer PING on {Endpoint} within {ReadyTimeout.TotalSeconds:0} s. " +
            $"Log {LogPath}:\n{ServerProcess.ReadTail(LogPath)}");
    }

    /// <summary>Synchronous, last-resort clean-up (also the process-exit hook).</summary>
    private void KillAndDelete()
    {
        process?.Dispose();
        process = null;
        directory.KillProcessesInside(TimeSpan.FromSeconds(2));
        directory.Delete();
    }
}
