namespace ChatCluster.Streams.Tests.Conformance;

/// <summary>An event of the conformance tests: the run that published it, its stream and its place in that stream.</summary>
[GenerateSerializer, Immutable, Alias("ChatCluster.Streams.Tests.TestEvent")]
public sealed record TestEvent([property: Id(0)] string Run, [property: Id(1)] string Stream, [property: Id(2)] int Counter);

/// <summary>The namespaces of the conformance tests: published on one, delivered by each reader on its own.</summary>
public static class TestNamespaces
{
    public const string Source = "conformance";
    public const string Persist = "conformance-persist";
    public const string Push = "conformance-push";
    public const string Other = "conformance-other";
}
