using System.Collections.Concurrent;
using System.Diagnostics;
using ChatCluster.Client;
using ChatCluster.Client.Messages;
using ChatCluster.Client.Tokens;
using ChatCluster.Testing.Processes;
using Npgsql;

namespace ChatCluster.Silo.Tests;

/// <summary>
/// A steady load of direct messages through the WebSocket endpoints of a <see cref="ProcessCluster"/>: each sender
/// sends one DM at a time to a random recipient, in a loop, and records its acks, how long each send waited for its
/// answer and whether it needed a resend; every recipient is online (a <see cref="PushListener"/>) and records what is
/// pushed to it. <see cref="VerifyAsync"/> then checks the delivery guarantees against <c>sync</c>: every acked
/// message is stored once, at its acked seq, in both timelines, and no seq is used twice — which would not hold if
/// two activations of one user grain had both committed; <see cref="VerifyStoredAsync"/> the same in PostgreSQL.
/// </summary>
internal sealed class DirectMessageLoad : IAsyncDisposable
{
    private readonly ProcessCluster cluster;
    private readonly List<ChatClient> senders = [];
    private readonly List<PushListener> listeners = [];
    private readonly ConcurrentQueue<(string From, string To, SendAck Ack, DateTime AckedAt)> acks = new();
    private readonly ConcurrentQueue<Exception> failures = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> loops = [];
    private readonly int recipients;
    private readonly Lock longestGate = new();
    private TimeSpan longestWait;
    private string longestWaitAt = "";
    private int resentSends;

    private DirectMessageLoad(ProcessCluster cluster, int recipients)
    {
        this.cluster = cluster;
        this.recipients = recipients;
    }

    public int Acked => acks.Count;

    public IReadOnlyCollection<Exception> Failures => failures;

    /// <summary>Sends that needed at least one resend (answered <c>unavailable</c> or <c>rate_limited</c> and sent again by the client).</summary>
    public int ResentSends => Volatile.Read(ref resentSends);

    /// <summary>Resends over all senders (a send may be resent several times).</summary>
    public int Resends => senders.Sum(s => s.RetriedSends);

    /// <summary>The longest time one send waited for its ack, resends included.</summary>
    public TimeSpan LongestWait
    {
        get
        {
            lock (longestGate)
            {
                return longestWait;
            }
        }
    }

    /// <summary>
    /// Connects <paramref name="recipients"/> listening recipients and <paramref name="senderCount"/> senders, both
    /// spread over <paramref name="endpoints"/>, and starts the senders' loops.
    /// </summary>
    public static async Task<DirectMessageLoad> StartAsync(ProcessCluster cluster, IReadOnlyList<SiloProcess> endpoints, int senderCount, int recipients)
    {
        var load = new DirectMessageLoad(cluster, recipients);
        try
        {
            for (var i = 0; i < recipients; i++)
            {
                var endpoint = endpoints[i % endpoints.Count];
                var token = await DevTokens.For(cluster.Http(endpoint), $"r{i}")(CancellationToken.None);
                load.listeners.Add(await PushListener.ConnectAsync(new Uri($"ws://127.0.0.1:{endpoint.Port}/ws"), token, $"r{i}"));
            }

            for (var i = 0; i < senderCount; i++)
            {
                load.senders.Add(await cluster.ConnectAsync(endpoints[i % endpoints.Count], $"s{i}"));
            }
        }
        catch
        {
            await load.DisposeAsync();
            throw;
        }

        for (var i = 0; i < senderCount; i++)
        {
            var (sender, name, random) = (load.senders[i], $"s{i}", new Random(i));
            load.loops.Add(Task.Run(() => load.SendLoopAsync(sender, name, random)));
        }

        return load;
    }

    /// <summary>The ids of the messages acked so far.</summary>
    public HashSet<string> AckedIds() => [.. acks.Select(a => a.Ack.MsgId)];

    /// <summary>Sends acked within [<paramref name="from"/>, <paramref name="to"/>) (UTC).</summary>
    public int AckedBetween(DateTime from, DateTime to) => acks.Count(a => a.AckedAt >= from && a.AckedAt < to);

    /// <summary>Pushes that reached a recipient within [<paramref name="from"/>, <paramref name="to"/>) (UTC), except of the messages in <paramref name="except"/>.</summary>
    public int PushedBetween(DateTime from, DateTime to, IReadOnlySet<string> except) =>
        listeners.Sum(l => l.Pushes.Count(p => p.At >= from && p.At < to && !except.Contains(p.MsgId)));

    /// <summary>
    /// One line for the test's output: how many acked messages their recipient has not had pushed (yet), and how many
    /// it had pushed more than once. Not checked: a push is best effort (a client that missed one syncs).
    /// </summary>
    public string PushDigest()
    {
        var byUser = listeners.ToDictionary(l => l.User, l => l.Pushes.GroupBy(p => p.MsgId).ToDictionary(g => g.Key, g => g.Count()));
        var missing = acks.Count(a => !byUser.TryGetValue(a.To, out var pushed) || !pushed.ContainsKey(a.Ack.MsgId));
        var repeated = byUser.Values.Sum(pushed => pushed.Values.Count(c => c > 1));
        return $"pushes: {missing} of {Acked} acked messages not pushed to their recipient; {repeated} pushed more than once";
    }

    /// <summary>Pushes received by the recipients in all.</summary>
    public int Pushed => listeners.Sum(l => l.Pushes.Count);

    /// <summary>One line for the test's output: acks, resends, the longest wait, pushes.</summary>
    public string Summary()
    {
        string at;
        lock (longestGate)
        {
            at = longestWaitAt;
        }

        return $"acked {Acked}; sends that needed a resend {ResentSends} ({Resends} resends); longest send wait {LongestWait.TotalSeconds:F1} s ({at}); "
            + $"reconnects {senders.Sum(s => s.Reconnects)}; pushes received {Pushed}; failures {failures.Count}";
    }

    /// <summary>Waits until <paramref name="more"/> more sends were acked (bounded by <paramref name="timeout"/>): proof that the load flows.</summary>
    public async Task WaitForAcksAsync(int more, TimeSpan timeout)
    {
        var target = Acked + more;
        var deadline = DateTime.UtcNow + timeout;
        while (Acked < target)
        {

            Assert.True(DateTime.UtcNow < deadline, $"only {Acked} of {target} sends acked within {timeout.TotalSeconds} s; failures: {failures.Count}"
                + string.Concat(failures.Take(3).Select(f => $" | {f.GetType().Name}: {f.Message}")) + "\n" + string.Join("\n", ProblemsLogged().Take(30)));
            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        await stopping.CancelAsync();
        await Task.WhenAll(loops);
    }

    /// <summary>Checks every acked message through <c>sync</c> on <paramref name="reader"/>'s gateway.</summary>
    public async Task VerifyAsync(SiloProcess reader)
    {
        var byTimeline = new Dictionary<string, List<(string MsgId, long? Seq)>>();
        foreach (var (from, to, ack, _) in acks)
        {
            Add(byTimeline, $"user:{from}", (ack.MsgId, ack.Seq));
            Add(byTimeline, $"user:{to}", (ack.MsgId, null)); // the recipient's seq is not in the sender's ack
        }

        foreach (var (timeline, expected) in byTimeline)
        {
            var user = timeline["user:".Length..];
            await using var client = await cluster.ConnectAsync(reader, user);
            var stored = await SyncAllAsync(client, timeline);
            var seqs = stored.Select(m => m.Seq).ToList();
            Assert.True(seqs.Distinct().Count() == seqs.Count, $"{timeline}: a seq is used twice");
            var dup = stored.GroupBy(m => (m.From, m.ClientMsgId)).FirstOrDefault(g => g.Count() > 1);
            Assert.True(dup is null, $"{timeline}: clientMsgId {dup?.Key.ClientMsgId} of {dup?.Key.From} is stored {dup?.Count()} times");
            var byId = stored.ToDictionary(m => m.MsgId);
            foreach (var (msgId, seq) in expected)
            {
                Assert.True(byId.TryGetValue(msgId, out var message), $"{timeline}: acked message {msgId} is missing");
                if (seq is { } acked)
                {
                    Assert.Equal(acked, message.Seq);
                }
            }
        }
    }

    /// <summary>Fails if any send failed for good, after writing what the gateways logged about failures to <paramref name="output"/>.</summary>
    public void AssertNoFailures(Xunit.Abstractions.ITestOutputHelper output)
    {
        if (!failures.IsEmpty)
        {

            foreach (var line in ProblemsLogged().Take(40))
            {
                output.WriteLine(line);
            }
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} sends failed, e.g.: {string.Join(" | ", failures.Take(3).Select(f => f.GetType().Name + ": " + f.Message))}");
    }

    /// <summary>The commonest warnings and errors the processes logged (level, category, the message's start), with counts.</summary>
    public string LoggedDigest(int top = 6)
    {
        var lines = new List<string>();
        foreach (var process in cluster.Gateways.Concat(cluster.Silos))
        {
            var log = process.Output.Split('\n');
            for (var i = 0; i + 1 < log.Length; i++)
            {
                if (log[i].StartsWith("warn:", StringComparison.Ordinal) || log[i].StartsWith("fail:", StringComparison.Ordinal) || log[i].StartsWith("crit:", StringComparison.Ordinal))
                {
                    var text = log[i + 1].Trim();
                    lines.Add($"{log[i].Trim()} {(text.Length > 110 ? text[..110] + "…" : text)}");
                }
            }
        }

        return string.Join("\n", lines.GroupBy(l => l).OrderByDescending(g => g.Count()).Take(top).Select(g => $"  {g.Count()} × {g.Key}"));
    }

    /// <summary>What the processes logged about failures (an 'internal' error names its exception only in the gateway's log).</summary>
    private IEnumerable<string> ProblemsLogged()
    {
        foreach (var process in cluster.Gateways.Concat(cluster.Silos))
        {
            var lines = process.Output.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Contains("fail:", StringComparison.Ordinal) || lines[i].Contains("crit:", StringComparison.Ordinal))
                {
                    yield return $"[{process.Port}] {lines[i].Trim()} {string.Join(" ", lines.Skip(i + 1).Take(3).Select(l => l.Trim()))}";
                }
            }
        }
    }

    /// <summary>
    /// Checks the messages table in PostgreSQL (waiting up to <paramref name="timeout"/> for persistence to catch up):
    /// every acked message is stored in both timelines, at its acked seq in the sender's, and no timeline holds one
    /// sender's clientMsgId twice. (timeline, seq) is the table's key, so a seq cannot be stored twice.
    /// </summary>
    public async Task VerifyStoredAsync(string connectionString, TimeSpan timeout)
    {
        var expected = new HashSet<(string Timeline, string MsgId)>();
        var ackedSeqs = new Dictionary<(string Timeline, string MsgId), long>();
        foreach (var (from, to, ack, _) in acks)
        {
            expected.Add(($"user:{from}", ack.MsgId));
            expected.Add(($"user:{to}", ack.MsgId));
            ackedSeqs[($"user:{from}", ack.MsgId)] = ack.Seq;
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var stored = new Dictionary<(string Timeline, string MsgId), long>();
            var clientIds = new Dictionary<(string Timeline, string From, string ClientMsgId), (long Seq, string MsgId, long Ts)>();
            await using (var command = dataSource.CreateCommand("SELECT timeline, seq, msg_id, from_user, client_msg_id, ts FROM messages WHERE kind = 0 ORDER BY timeline, seq"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var (timeline, seq, msgId, from, clientMsgId) = (reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4));
                    var row = (seq, msgId, reader.GetInt64(5));
                    Assert.True(clientIds.TryAdd((timeline, from, clientMsgId), row),
                        $"{timeline}: clientMsgId {clientMsgId} of {from} is stored twice in PostgreSQL: {clientIds[(timeline, from, clientMsgId)]} and {row} (seq, msgId, ts); "
                        + $"acked with {string.Join(", ", acks.Where(a => a.From == from && a.Ack.ClientMsgId == clientMsgId).Select(a => $"{a.Ack.MsgId} at {a.AckedAt:HH:mm:ss.fff}"))}; "
                        + $"the timeline's last seq so far {clientIds.Where(c => c.Key.Timeline == timeline).Max(c => c.Value.Seq)}");
                    stored[(timeline, msgId)] = seq;
                }
            }

            var missing = expected.Where(e => !stored.ContainsKey(e)).ToList();
            if (missing.Count == 0)
            {
                foreach (var (key, seq) in ackedSeqs)
                {
                    Assert.Equal(seq, stored[key]);
                }

                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                var lastStored = stored.Keys.GroupBy(k => k.Timeline).ToDictionary(g => g.Key, g => g.Max(k => stored[k]));
                var ackedAt = acks.ToDictionary(a => a.Ack.MsgId, a => a);
                Assert.Fail($"{missing.Count} of {expected.Count} acked messages are not in PostgreSQL after {timeout.TotalSeconds} s, e.g.\n"
                    + string.Join("\n", missing.Take(20).Select(m =>
                        $"  {m.Timeline} {m.MsgId} (from {ackedAt[m.MsgId].From} to {ackedAt[m.MsgId].To}, acked seq {ackedAt[m.MsgId].Ack.Seq} at {ackedAt[m.MsgId].AckedAt:HH:mm:ss.fff}); "
                        + $"its last stored seq {lastStored.GetValueOrDefault(m.Timeline)}"))
                    + "\nlogged:\n" + string.Join("\n", ProblemsLogged().Take(40)));
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopping.IsCancellationRequested)
        {
            await StopAsync();
        }

        foreach (var sender in senders)
        {
            await sender.DisposeAsync();
        }

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync();
        }

        stopping.Dispose();
    }

    private async Task SendLoopAsync(ChatClient sender, string name, Random random)
    {
        var n = 0;
        while (!stopping.IsCancellationRequested)
        {
            var to = $"r{random.Next(recipients)}";
            var resentBefore = sender.RetriedSends;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var ack = await sender.SendTextAsync($"user:{to}", $"{name} #{n}", $"{name}-{n}");
                acks.Enqueue((name, to, ack, DateTime.UtcNow));
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }

            // One send at a time per sender: the sender's resends since this send began are this send's.
            var waited = Stopwatch.GetElapsedTime(started);
            if (sender.RetriedSends != resentBefore)
            {
                Interlocked.Increment(ref resentSends);
            }

            lock (longestGate)
            {
                if (waited > longestWait)
                {
                    (longestWait, longestWaitAt) = (waited, $"{name}-{n} at {DateTime.UtcNow:HH:mm:ss.f}");
                }
            }

            n++;
        }
    }

    private static async Task<List<ChatMessage>> SyncAllAsync(ChatClient client, string timeline)
    {
        var all = new List<ChatMessage>();
        long after = 0;
        while (true)
        {
            var page = await client.SyncAsync(timeline, after, 500);
            all.AddRange(page.Messages);
            if (!page.HasMore || page.Messages.Count == 0)
            {
                return all;
            }

            after = page.Messages[^1].Seq;
        }
    }

    private static void Add(Dictionary<string, List<(string, long?)>> map, string timeline, (string, long?) entry)
    {
        if (!map.TryGetValue(timeline, out var list))
        {
            map[timeline] = list = [];
        }

        list.Add(entry);
    }
}
