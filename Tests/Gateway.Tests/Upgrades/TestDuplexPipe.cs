using System.IO.Pipelines;

namespace ChatCluster.Gateway.Tests.Upgrades;

/// <summary>One end of an in-memory connection: what it reads and what it writes, as a Kestrel connection's transport.</summary>
internal sealed class TestDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
