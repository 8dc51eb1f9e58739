using System.Diagnostics;
using ChatCluster.Grains;

namespace ChatCluster.Bench.Chat;

/// <summary>Grain-level chat benches (no WebSocket): durable direct-message sends, and group fan-out to the push seam.</summary>
internal static class ChatBench
{
    /// <summary><paramref name="senders"/> users each send direct messages in a loop, one at a time, for <paramref name="seconds"/>.</summary>
    public static async Task<int> DirectMessagesAsync(int senders, double seconds, string? postgres, TextWriter output)
    {
        await using var silo = await ChatBenchSilo.StartAsync(postgres);
        output.WriteLine($"chat-dm: {senders} senders, store {(postgres is null ? "sqlite" : "postgres")}, log sqlite, {Environment.ProcessorCount} cores");
        var window = LoadWindow.Start(TimeSpan.FromSeconds(seconds));
        var counts = new long[senders];
        var failures = new long[senders];
        var stopwatch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, senders).Select(i => Task.Run(async () =>
        {
            var me = silo.Grains.GetGrain<IUserGrain>($"s{i}");
            var peer = $"s{(i + 1) % senders}";
            for (var n = 0; !window.Ended; n++)
            {
                var result = await me.SendDirect(peer, $"m{n}", """{"text":"bench"}""", null);
                if (result.Ack is null)
                {
                    failures[i]++;
                }
                else
                {
                    counts[i]++;
                }
            }
        })).ToArray();
        await Task.WhenAll(loops);
        stopwatch.Stop();
        output.WriteLine($"acked sends: {counts.Sum():N0} in {stopwatch.Elapsed.TotalSeconds:F2} s; refused: {failures.Sum():N0}");
        output.WriteLine($"durable DM sends/s: {counts.Sum() / stopwatch.Elapsed.TotalSeconds:N0}");
        return 0;
    }

    /// <summary>A group of <paramref name="members"/> with <paramref name="online"/> connected; <paramref name="messages"/> sends; deliveries/s to the seam.</summary>
    public static async Task<int> FanOutAsync(int members, int online, int messages, TextWriter output)
    {
        await using var silo = await ChatBenchSilo.StartAsync(null);
        var names = Enumerable.Range(0, members).Select(i => $"m{i}").ToList();
        var setup = Stopwatch.StartNew();
        var created = await silo.Grains.GetGrain<IGroupGrain>("big").Create(names[0], names);
        if (created.Error is { } error)
        {
            throw new InvalidOperationException(error.Message);
        }

        await Task.WhenAll(names.Skip(1).Take(online).Select(n => silo.Grains.GetGrain<IUserGrain>(n).Connect(new Session(silo.GatewayId, n))));
        output.WriteLine($"chat-fanout: group of {members} members, {online} online, set up in {setup.Elapsed.TotalSeconds:F1} s; sending {messages} messages");

        // Wait until the system messages of the set-up are pushed, then measure only the sends.
        var settled = -1L;
        while (settled != silo.Gateway.Delivered)
        {
            settled = silo.Gateway.Delivered;
            await Task.Delay(500);
        }

        var expected = settled + (long)messages * online;
        var group = silo.Grains.GetGrain<IGroupGrain>("big");
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, messages).Select(i => group.Send(names[0], $"f{i}", """{"text":"fan-out"}""", null)));
        var acked = stopwatch.Elapsed;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (silo.Gateway.Delivered < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        stopwatch.Stop();
        var deliveries = silo.Gateway.Delivered - settled;
        output.WriteLine($"acked in {acked.TotalSeconds:F2} s; {deliveries:N0} of {(long)messages * online:N0} deliveries in {stopwatch.Elapsed.TotalSeconds:F2} s");
        output.WriteLine($"deliveries/s: {deliveries / stopwatch.Elapsed.TotalSeconds:N0}");
        return deliveries == (long)messages * online ? 0 : 1;
    }
}
