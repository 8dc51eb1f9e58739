using System.Diagnostics;
using System.Globalization;

namespace ChatCluster.Grains.Tests.Chat;

/// <summary>An embedded chat process killed with SIGKILL mid-traffic, then restarted on the same files.</summary>
public sealed class CrashRecoveryTests
{
    private const int SequenceStep = 100; // ChatWorker's settings
    private const int ConcurrentSenders = 10;

    [Fact(Timeout = 180_000)]
    public async Task After_a_kill_every_acked_message_is_in_sync_no_seq_is_reused_and_skips_stay_within_the_step()
    {
        using var store = ChatStore.OpenSqlite(Directory.CreateTempSubdirectory("chatcluster-crash-").FullName);
        var acks = await RunWorkerUntilKilledAsync(store.Directory, minimumAcks: 400);

        await using var silo = await ChatSilo.StartAsync(store, new Dictionary<string, string?> { ["SequenceStep"] = SequenceStep.ToString(CultureInfo.InvariantCulture) });
        foreach (var timeline in acks.GroupBy(a => a.Timeline))
        {
            var stored = await SyncAllAsync(silo, timeline.Key);
            var bySeq = stored.ToDictionary(m => m.Seq);
            foreach (var ack in timeline)
            {
                Assert.True(bySeq.TryGetValue(ack.Seq, out var message), $"acked {timeline.Key} seq {ack.Seq} is missing after the crash");
                Assert.Equal(ack.MsgId, message.MsgId);
            }

            Assert.Equal(stored.Count, stored.Select(m => m.MsgId).Distinct().Count());
            Assert.Equal(stored.Count, stored.Select(m => (m.From, m.ClientMsgId)).Where(k => k.ClientMsgId.Length > 0).Distinct().Count()
                + stored.Count(m => m.ClientMsgId.Length == 0));

            // A new message continues after everything stored. Skipped: at most one reserved step past
            // the last number handed out, plus the numbers of sends in flight at the kill (never acked).
            var last = stored.Max(m => m.Seq);
            var next = await SendOneAsync(silo, timeline.Key);
            Assert.InRange(next, last + 1, last + 1 + SequenceStep + ConcurrentSenders);
        }
    }

    private static async Task<long> SendOneAsync(ChatSilo silo, string timeline)
    {
        var result = timeline.StartsWith("group:", StringComparison.Ordinal)
            ? await silo.Group(timeline["group:".Length..]).Send("w0", "after-crash", "{}", null)
            : await silo.User(timeline["user:".Length..]).SendDirect(timeline["user:".Length..], "after-crash", "{}", null);
        return result.Ack!.Seq;
    }

    private static async Task<List<ChatMessage>> SyncAllAsync(ChatSilo silo, string timeline)
    {
        var all = new List<ChatMessage>();
        var after = 0L;
        while (true)
        {
            var page = timeline.StartsWith("group:", StringComparison.Ordinal)
                ? await silo.Group(timeline["group:".Length..]).Sync("w0", after, 500)
                : await silo.User(timeline["user:".Length..]).Sync(after, 500);
            Assert.Null(page.Error);
            all.AddRange(page.Messages);
            if (!page.HasMore)
            {
                return all;
            }

            after = page.Messages[^1].Seq;
        }
    }

    private sealed record Acked(string Timeline, long Seq, string MsgId);

    private static async Task<List<Acked>> RunWorkerUntilKilledAsync(string directory, int minimumAcks)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChatCluster.ChatWorker.dll"));
        startInfo.ArgumentList.Add(directory);
        using var worker = Process.Start(startInfo)!;
        var errors = worker.StandardError.ReadToEndAsync();
        var acks = new List<Acked>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (acks.Count < minimumAcks)
            {
                var line = await worker.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"the worker exited early: {await errors}");
                var parts = line.Split(' ');
                if (parts is ["ACK", var timeline, var seq, var msgId, _])
                {
                    acks.Add(new Acked(timeline, long.Parse(seq, CultureInfo.InvariantCulture), msgId));
                }
            }
        }
        finally
        {
            worker.Kill(entireProcessTree: true); // SIGKILL: no deactivation, no flush
            await worker.WaitForExitAsync();
        }

        // Acks printed between the last read and the kill are acks too.
        while (await worker.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Split(' ') is ["ACK", var timeline, var seq, var msgId, _])
            {
                acks.Add(new Acked(timeline, long.Parse(seq, CultureInfo.InvariantCulture), msgId));
            }
        }

        return acks;
    }
}
