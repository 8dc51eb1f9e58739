using ChatCluster.Runtime.Streams.Memory;

namespace ChatCluster.Runtime.Tests.Streams;

/// <summary>The conformance suite on the memory provider; a "restart" keeps the provider object (the process lives on).</summary>
public sealed class MemoryStreamConformanceTests : StreamConformanceTests
{
    protected override IStreamProvider CreateProvider(int partitions) => new MemoryStreamProvider(partitions);

    protected override IStreamProvider Reopen(IStreamProvider provider) => provider;
}
