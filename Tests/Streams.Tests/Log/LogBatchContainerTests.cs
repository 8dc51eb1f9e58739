using ChatCluster.Streams.Tests.Conformance;
using Orleans.Runtime;
using Xunit;

namespace ChatCluster.Streams.Tests.Log;

/// <summary>What a reader hands Orleans for one record: an event per item, each with its own token.</summary>
public sealed class LogBatchContainerTests
{
    [Fact]
    public void Each_event_of_a_record_gets_its_index_the_records_order_and_offset()
    {
        var container = new LogBatchContainer(StreamId.Create("ns", "1"), [new TestEvent("r", "s", 0), "skipped", new TestEvent("r", "s", 2)], offset: 42, order: 7, requestContext: null);

        var events = container.GetEvents<TestEvent>().ToList();

        Assert.Equal([0, 2], events.Select(e => e.Item1.Counter));
        var tokens = events.Select(e => Assert.IsType<LogSequenceToken>(e.Item2)).ToList();
        Assert.Equal([0, 2], tokens.Select(t => t.EventIndex));
        Assert.All(tokens, t => Assert.Equal(7, t.SequenceNumber));
        Assert.All(tokens, t => Assert.Equal(42, t.Offset));
        Assert.True(tokens[0].CompareTo(tokens[1]) < 0);
        Assert.Equal(container.SequenceToken, tokens[0]);
    }
}
