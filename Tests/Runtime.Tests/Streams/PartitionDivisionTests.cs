using ChatCluster.Runtime.Streams.Memory;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>
/// A silo of a cluster consumes only the partitions it owns (StreamHandlerHost.DivideAmongSilos), and picks up a
/// partition it is given from its checkpoint: nothing skipped, nothing handled twice in one silo.
/// </summary>
public sealed class PartitionDivisionTests
{
    [Fact(Timeout = 60_000)]
    public async Task Only_owned_partitions_are_consumed_and_a_gained_partition_resumes_from_its_checkpoint()
    {
        const int Partitions = 4;
        var provider = new MemoryStreamProvider(Partitions);
        var handler = new RecordingHandler();
        await using var silo = await StreamTesting.StartSiloAsync(provider, b => b.AddRecordingHandler(handler, "orders", "projector"));
        var streams = silo.Runtime.Streams!;
        var owned = new HashSet<int> { 0, 2 };
        streams.DivideAmongSilos((group, ns, partition) => owned.Contains(partition));
        await StreamTesting.WaitUntilAsync(() => streams.Consumers.Select(c => c.Partition).Order().SequenceEqual([0, 2]), "consumers of 0 and 2 only");

        var publisher = new StreamPublisher(provider);
        var ids = Enumerable.Range(0, 40).Select(i => new StreamId("orders", $"o{i}")).ToList();
        foreach (var id in ids)
        {
            await publisher.PublishAsync(id, new TestEvent(id.Key, 1));
        }

        var inOwned = ids.Count(id => owned.Contains(id.PartitionOf(Partitions)));
        await StreamTesting.WaitUntilAsync(() => handler.HandledCount == inOwned, "the owned partitions' events");
        await Task.Delay(300); // the others stay untouched
        Assert.All(handler.Handled, e => Assert.Contains(e.Stream.PartitionOf(Partitions), owned));

        // Partition 2 goes to another silo and 1 and 3 come here.
        owned = [0, 1, 3];
        streams.Rebalance();
        await StreamTesting.WaitUntilAsync(() => streams.Consumers.Select(c => c.Partition).Order().SequenceEqual([0, 1, 3]), "consumers of 0, 1 and 3");
        foreach (var id in ids)
        {
            await publisher.PublishAsync(id, new TestEvent(id.Key, 2));
        }

        var expected = inOwned + ids.Count(id => id.PartitionOf(Partitions) != 2) + ids.Count(id => id.PartitionOf(Partitions) is 1 or 3);
        await StreamTesting.WaitUntilAsync(() => handler.HandledCount == expected, $"{expected} events");
        await Task.Delay(300);
        Assert.Equal(expected, handler.HandledCount);
        Assert.Equal(handler.Handled.Count, handler.Handled.Distinct().Count());
    }
}
