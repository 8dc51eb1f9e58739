using System.Globalization;

namespace ChatCluster.Bench.WebSockets;

/// <summary>The bench's client connections: opened at a bounded concurrency, pinged in slots, closed together.</summary>
internal sealed class ConnectionSet(Uri uri, SourceAddressInvokers invokers) : IAsyncDisposable
{
    private readonly List<HeldConnection> connections = [];
    private readonly Lock gate = new();
    private int failed;

    public int Opened => connections.Count;

    public int Failed => failed;

    public long Pongs => connections.Sum(c => c.Pongs);

    public int CountOpen() => connections.Count(c => c.IsOpen);

    public async Task OpenAsync(int count, Func<int, string> tokenFor, int concurrency, TextWriter progress)
    {
        var done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = concurrency };
        await Parallel.ForEachAsync(Enumerable.Range(0, count), options, async (i, cancellationToken) =>
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var connection = await HeldConnection.OpenAsync(uri, tokenFor(i), invokers.For(i), timeout.Token).ConfigureAwait(false);
                lock (gate)
                {
                    connections.Add(connection);
                }
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or HttpRequestException)
            {
                if (Interlocked.Increment(ref failed) <= 3)
                {
                    progress.WriteLine($"  connection {i} failed: {ex.GetBaseException().Message}");
                }
            }

            var n = Interlocked.Increment(ref done);
            if (n % 1000 == 0)
            {
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  opened {n:N0}/{count:N0}"));
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Sends an app-level ping on every connection whose index falls in <paramref name="slot"/> of <paramref name="slots"/>.</summary>
    public async Task PingSlotAsync(int slot, int slots)
    {
        var sends = new List<Task>();
        for (var i = slot; i < connections.Count; i += slots)
        {
            if (connections[i].IsOpen)
            {
                sends.Add(PingAsync(connections[i], i));
            }
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    public Task PingAllAsync(int round) => Task.WhenAll(connections.Select((c, i) => PingAsync(c, (round * connections.Count) + i)));

    public async ValueTask DisposeAsync()
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = 200 };
        await Parallel.ForEachAsync(connections, options, async (c, _) => await c.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        connections.Clear();
    }

    private static async Task PingAsync(HeldConnection connection, int id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await connection.PingAsync(id.ToString(CultureInfo.InvariantCulture), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Counted as not open at the end.
        }
    }
}
